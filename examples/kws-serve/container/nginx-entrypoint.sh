#!/bin/sh
# Starts NGINX in front of kws-serve: writes /tmp/nginx.conf from the template nginx.conf with
# $KWS_MAX_BODY_MB (whole MB, the value kws-serve's --max-body-mb gets) and $KWS_SERVE_ADDRESS
# (host:port of kws-serve), checks it, and runs NGINX in the foreground.
set -eu
: "${KWS_MAX_BODY_MB:=20}" "${KWS_SERVE_ADDRESS:=kws-serve:8080}"
case $KWS_MAX_BODY_MB in
  '' | *[!0-9]* | 0*)
    echo "kws-nginx: KWS_MAX_BODY_MB must be a whole number of MB above 0, not '$KWS_MAX_BODY_MB'" >&2
    exit 2 ;;
esac
case $KWS_SERVE_ADDRESS in
  *[!A-Za-z0-9.:_-]* | '')
    echo "kws-nginx: KWS_SERVE_ADDRESS must be host:port, not '$KWS_SERVE_ADDRESS'" >&2
    exit 2 ;;
esac
sed -e "s/\${KWS_MAX_BODY_MB}/$KWS_MAX_BODY_MB/g" -e "s/\${KWS_SERVE_ADDRESS}/$KWS_SERVE_ADDRESS/g" \
  /etc/nginx/kws-serve.conf.template >/tmp/nginx.conf
nginx -e /dev/stderr -c /tmp/nginx.conf -t -q
echo "kws-nginx: client_max_body_size ${KWS_MAX_BODY_MB}m, proxying to $KWS_SERVE_ADDRESS on :8080"
exec nginx -e /dev/stderr -c /tmp/nginx.conf -g 'daemon off;'
