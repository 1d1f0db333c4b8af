# NGINX in front of kws-serve, from Debian's nginx package (the same base image as kws-serve's).
# The build context is this folder:
#
#   docker build -f nginx.Dockerfile -t kws-serve-nginx examples/kws-serve/container
#
# compose.yaml builds and runs it; $KWS_MAX_BODY_MB and $KWS_SERVE_ADDRESS fill in nginx.conf at
# start (nginx-entrypoint.sh).
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /etc/nginx/sites-enabled/default
COPY nginx.conf /etc/nginx/kws-serve.conf.template
COPY nginx-entrypoint.sh /usr/local/bin/kws-nginx
USER www-data
EXPOSE 8080
ENV KWS_MAX_BODY_MB=20 KWS_SERVE_ADDRESS=kws-serve:8080
CMD ["kws-nginx"]
