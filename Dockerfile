# The subbot image for compose.yaml and other container platforms (docs/DEPLOY.md).
# Not built by the test suite (its machine has no container engine); the processes it runs
# are: tests/test_serve.py and tests/test_scale.py run the same commands.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    SUBBOT_DATA_DIR=/data

WORKDIR /app

# torch is needed once, to export MiniLM to ONNX below; the CPU wheel keeps the image small
# (PyPI's default Linux wheel carries CUDA). The bot itself runs on onnxruntime.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY alerts ./alerts
COPY billing ./billing
COPY bot ./bot
COPY config ./config
COPY deals ./deals
COPY knowledge ./knowledge
COPY licences ./licences
COPY predictions ./predictions
COPY reports ./reports
COPY seed ./seed
COPY skills ./skills
COPY store ./store
COPY subscriptions ./subscriptions
COPY prompts ./prompts
COPY slack ./slack
COPY run_bot.py alembic.ini ./

# Install, then build the model and document artefacts into /usr/local/share/subbot, so a
# container starts fast and never downloads anything.
RUN pip install . && python -m knowledge.prebuild && python -m bot.nlu.prebuild && python -m predictions.service

RUN useradd --system --uid 10001 --home-dir /data subbot \
    && mkdir -p /data && chown subbot /data
USER subbot
VOLUME ["/data"]
EXPOSE 3000

CMD ["python", "run_bot.py", "serve", "--host", "0.0.0.0", "--port", "3000"]
