# eit-geo for a shared workshop server: `eit-geo app --share` (sign-in, roles, sessions that end),
# its decisions in PostgreSQL (see compose.yaml and the README, « Un serveur pour la salle »).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Debian's Chromium prints the PDF report (the only system package the app uses).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/eit-geo
COPY pyproject.toml README.md app.py ./
COPY .streamlit ./.streamlit
COPY eit_geo ./eit_geo
COPY data ./data
COPY pages ./pages
# The package carries app.py, its pages and settings; Leaflet is copied into its static folder
# now, so that the app (not root) never writes to the installed package but for a basemap file.
RUN pip install ".[postgres]" \
    && python -c "from eit_geo.cli import find_app_script; from eit_geo.offline import install_assets; install_assets(find_app_script().parent / 'static')" \
    && useradd --create-home --uid 10001 eit \
    && chown -R eit "$(python -c 'from eit_geo.cli import find_app_script; print(find_app_script().parent / "static")')"

USER eit
EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]
# Every interface of the container, sign-in required; the zone is mounted at /zone (compose.yaml).
ENTRYPOINT ["eit-geo", "app", "--share", "--port", "8501"]
CMD ["/zone"]
