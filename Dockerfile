# One image for the API, the worker and migrations: the pinned versions of constraints.txt
# (`make lock`), no development extra (no Temporal server binaries, no test tools).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY domain domain
COPY store store
COPY workflows workflows
COPY activities activities
COPY letters letters
COPY integrations integrations
COPY api api
COPY config config
COPY commands commands
COPY runtime runtime
COPY worker.py cli.py ./
RUN pip install -c constraints.txt . && useradd --create-home priorauth
# Where the audit-anchor service writes (a volume mounted here keeps this owner).
RUN install -d -o priorauth -g priorauth /var/lib/priorauth/anchors
USER priorauth
CMD ["priorauth", "worker"]
