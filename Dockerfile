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
COPY settings.py ./
RUN pip install --no-cache-dir . && useradd --create-home agent
USER agent
CMD ["python", "-m", "api"]
