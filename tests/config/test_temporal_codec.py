"""The payload codec: round trips under rotated keys, refuses plain payloads and bad key lists."""

from __future__ import annotations

import base64

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import default

from config.temporal import (
    ENCODING,
    AesGcmCodec,
    CodecKeyError,
    UnencryptedPayloadError,
    data_converter,
    parse_keys,
)

KEY_A = "a:" + base64.b64encode(b"A" * 32).decode()
KEY_B = "b:" + base64.b64encode(b"B" * 32).decode()
SECRET = "W987654321 Patientson"


def _plain(text: str) -> Payload:
    return default().payload_converter.to_payload(text)


async def test_payloads_round_trip_encrypted_and_old_keys_still_decrypt() -> None:
    old = AesGcmCodec(parse_keys([KEY_A]))
    rotated = AesGcmCodec(parse_keys([KEY_B, KEY_A]))
    [sealed] = await old.encode([_plain(SECRET)])
    assert sealed.metadata["encoding"] == ENCODING
    assert SECRET.encode() not in sealed.data
    [opened] = await rotated.decode([sealed])
    assert default().payload_converter.from_payload(opened, str) == SECRET
    [resealed] = await rotated.encode([_plain(SECRET)])
    assert resealed.metadata["encryption-key-id"] == b"b"


async def test_an_unencrypted_payload_is_refused_naming_its_encoding_not_its_data() -> None:
    codec = AesGcmCodec(parse_keys([KEY_A]))
    with pytest.raises(UnencryptedPayloadError) as caught:
        await codec.decode([_plain(SECRET)])
    message = str(caught.value)
    assert "json/plain" in message
    assert "W987654321" not in message and "Patientson" not in message


async def test_a_payload_without_encoding_metadata_is_refused() -> None:
    codec = AesGcmCodec(parse_keys([KEY_A]))
    with pytest.raises(UnencryptedPayloadError, match="encoding 'none'"):
        await codec.decode([Payload(data=b'"x"')])


async def test_the_project_converter_refuses_a_plain_payload_end_to_end() -> None:
    converter = data_converter(keys=[KEY_A])
    with pytest.raises(UnencryptedPayloadError):
        await converter.decode([_plain(SECRET)], [str])
    encoded = await converter.encode([SECRET])
    assert await converter.decode(encoded, [str]) == [SECRET]


async def test_a_payload_under_an_unknown_key_id_is_refused() -> None:
    [sealed] = await AesGcmCodec(parse_keys([KEY_A])).encode([_plain(SECRET)])
    with pytest.raises(CodecKeyError, match="unknown codec key id 'a'"):
        await AesGcmCodec(parse_keys([KEY_B])).decode([sealed])


def test_duplicate_key_ids_are_refused() -> None:
    other_a = "a:" + base64.b64encode(b"C" * 32).decode()
    with pytest.raises(CodecKeyError, match="'a' is listed twice"):
        parse_keys([KEY_A, KEY_B, other_a])


@pytest.mark.parametrize("entry", [":" + KEY_A.split(":")[1], "  :" + KEY_A.split(":")[1]])
def test_an_empty_key_id_is_refused(entry: str) -> None:
    with pytest.raises(CodecKeyError, match="empty key id"):
        parse_keys([entry])


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        (["no-separator"], "look like"),
        (["a:not base64!"], "not valid base64"),
        (["a:" + base64.b64encode(b"short").decode()], "32 bytes"),
        ([], "at least one"),
    ],
)
def test_malformed_key_lists_are_refused(entries: list[str], reason: str) -> None:
    with pytest.raises(CodecKeyError, match=reason):
        parse_keys(entries)
