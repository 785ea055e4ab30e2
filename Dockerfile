# One image for the API, the worker and the simulator; the command picks the process.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY workers workers
COPY api api
COPY store store
COPY simulator simulator
COPY evals evals
COPY prompts prompts
COPY telemetry telemetry
COPY platforms platforms
COPY settings.py ./
# A numeric user, so Kubernetes can check runAsNonRoot (the Helm chart runs as 10001).
RUN pip install --no-cache-dir . && useradd --uid 10001 --create-home agent
USER 10001
CMD ["python", "-m", "api"]
