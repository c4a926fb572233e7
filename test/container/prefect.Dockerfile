# Stand-in for prefecthq/prefect:<version>-python3.11 (test fixture, never shipped): the pinned
# Prefect in the image's python, tini at /usr/bin/tini, git, uv at /bin/uv, as the official image has.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}

ARG PREFECT_VERSION
ARG UV_VERSION
ENV LC_ALL=C.UTF-8 LANG=C.UTF-8 UV_SYSTEM_PYTHON=1

# A virtual environment rooted at /usr/local puts python, pip and prefect in /usr/local/bin, where
# the official image (built on python:3.11-slim) has them.
COPY constraints.txt /tmp/constraints.txt
RUN python3 -m venv /usr/local \
  && /usr/local/bin/pip install --no-cache-dir --disable-pip-version-check \
    -c /tmp/constraints.txt "prefect==${PREFECT_VERSION}" "uv==${UV_VERSION}" \
  && ln -s /usr/local/bin/uv /usr/bin/uv \
  && rm /tmp/constraints.txt \
  && prefect version

WORKDIR /opt/prefect
ENTRYPOINT ["/usr/bin/tini", "-g", "--"]
CMD ["bash"]
