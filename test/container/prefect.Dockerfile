# Stand-in for prefecthq/prefect:<version>-python3.11 (test fixture, never shipped): the pinned
# Prefect in the image's python, tini at /usr/bin/tini, git, and uv at /bin/uv, as in the official
# image.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}

ARG PREFECT_VERSION
ARG UV_VERSION
ENV LC_ALL=C.UTF-8 LANG=C.UTF-8 UV_SYSTEM_PYTHON=1

# Like python:3.11-slim, the interpreter is the system's and open to pip and `uv pip --system`
# (Debian marks its own as externally managed); packages land in /usr/local, scripts in
# /usr/local/bin, and `python` names python3.
COPY constraints.txt /tmp/constraints.txt
RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \
  && ln -s /usr/bin/python3 /usr/local/bin/python \
  && PIP_ROOT_USER_ACTION=ignore pip install --no-cache-dir --disable-pip-version-check \
    -c /tmp/constraints.txt "prefect==${PREFECT_VERSION}" "uv==${UV_VERSION}" \
  && ln -s /usr/local/bin/uv /usr/bin/uv \
  && rm /tmp/constraints.txt \
  && prefect version

WORKDIR /opt/prefect
ENTRYPOINT ["/usr/bin/tini", "-g", "--"]
CMD ["bash"]
