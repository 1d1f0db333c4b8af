#!/usr/bin/env python3
"""The HTTP half of smoke_test.sh: kws-serve through NGINX, from the host (standard library only).

    smoke_checks.py URL LIMIT_MB DATA_DIR EXPECTED_JSON

URL is NGINX's address (http://127.0.0.1:PORT), LIMIT_MB the KWS_MAX_BODY_MB both containers got,
DATA_DIR examples/data, EXPECTED_JSON the kws-classify --json line of DATA_DIR/yes_no_up_down.wav
(run inside the image). Prints one line per check; exit status 1 at the first failure.
"""
import http.client
import json
import sys
import time
import urllib.parse
import uuid
import wave
from pathlib import Path

url, limit_mb, data_dir, expected_json = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
parsed = urllib.parse.urlsplit(url)
limit = limit_mb * 1024 * 1024
expected = json.loads(expected_json)
wav_path = data_dir / "yes_no_up_down.wav"
wav = wav_path.read_bytes()


def check(condition, what, detail=""):
    if not condition:
        print(f"FAIL: {what}" + (f": {detail}" if detail else ""), file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def request(method, path, body=None, headers=None, connection=None):
    """One request; returns (status, headers, body bytes). A kept-alive connection may be given."""
    conn = connection or http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        if connection is None:
            conn.close()


def json_of(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


# The model, as kws-serve describes it, and the body limit it was started with.
status, _, body = request("GET", "/api/model")
model = json_of(body)
check(status == 200 and model is not None, "GET /api/model answers JSON through NGINX", f"{status} {body[:200]!r}")
check(model["model_file"] == "commands_en.kws" and "yes" in model["labels"],
      "the bundled commands model is loaded", f"{model['model_file']} {model['labels']}")
check(model["limits"]["max_body_bytes"] == limit,
      f"kws-serve's body limit is KWS_MAX_BODY_MB ({limit_mb} MB = {limit} bytes)", str(model["limits"]))

# The bundled recording, raw and as a form, gives what kws-classify gives inside the image.
for name, body, headers in [
    ("raw WAV", wav, {"Content-Type": "audio/wav"}),
    ("multipart form", None, None),
]:
    if body is None:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{wav_path.name}\"\r\n"
                "Content-Type: audio/wav\r\n\r\n").encode() + wav + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, answer = request("POST", "/api/classify", body, headers)
    result = json_of(answer)
    check(status == 200 and result is not None, f"POST /api/classify ({name}) -> 200", f"{status} {answer[:200]!r}")
    check(result["label"] == expected["label"] == "yes" and abs(result["score"] - expected["score"]) < 1e-4,
          f"classified {wav_path.name} ({name}) as {result['label']} {result['score']}, as kws-classify does",
          f"got {result['label']} {result['score']}, kws-classify {expected['label']} {expected['score']}")

# Keyword events in the longer recording (the example tests: 4 of its 5 keywords are heard).
status, _, answer = request("POST", "/api/detect", (data_dir / "stream_commands.wav").read_bytes())
events = (json_of(answer) or {}).get("events", [])
labels = [event["label"] for event in events]
check(status == 200 and len(set(labels) & {"go", "left", "stop", "yes", "on"}) >= 4,
      f"POST /api/detect (stream_commands.wav) -> {labels}", f"{status} {answer[:300]!r}")

# A streaming session, 100 ms chunks of int16 PCM on one kept-alive connection, as the page does.
with wave.open(str(wav_path)) as reader:
    rate, pcm = reader.getframerate(), reader.readframes(reader.getnframes())
    check(reader.getnchannels() == 1 and reader.getsampwidth() == 2, "the recording is mono int16")
conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
status, _, answer = request("POST", f"/api/stream?rate={rate}&format=s16", b"", connection=conn)
session = json_of(answer) or {}
check(status == 200 and "id" in session, "POST /api/stream opens a session", f"{status} {answer[:200]!r}")
heard, chunk, sent = [], rate // 10 * 2, 0
for start in range(0, len(pcm), chunk):
    sent += 1
    status, _, answer = request("POST", f"/api/stream/{session['id']}", pcm[start:start + chunk],
                                {"Content-Type": "application/octet-stream"}, connection=conn)
    if status != 200:
        check(False, "every stream chunk -> 200", f"{status} {answer[:200]!r}")
    heard += [event["label"] for event in json_of(answer)["events"]]
status, _, answer = request("DELETE", f"/api/stream/{session['id']}", connection=conn)
heard += [event["label"] for event in (json_of(answer) or {}).get("events", [])]
conn.close()
check(status == 200 and "yes" in heard, f"streamed {sent} chunks of 100 ms on one connection, heard {heard}", f"{status}")

# The body limit: NGINX passes a body of exactly the limit on to kws-serve (which refuses it as
# audio it cannot read, 400), and answers one byte more itself with 413, declared or chunked.
status, _, answer = request("POST", "/api/classify", b"\0" * limit, {"Content-Type": "audio/wav"})
check(status == 400 and b"cannot" in answer.lower(),
      f"a body of exactly {limit} bytes reaches kws-serve (400, not audio)", f"{status} {answer[:200]!r}")
status, _, answer = request("POST", "/api/classify", b"\0" * (limit + 1), {"Content-Type": "audio/wav"})
error = json_of(answer) or {}
check(status == 413 and "NGINX" in error.get("error", "") and error.get("status") == 413,
      f"a body of {limit + 1} bytes gets NGINX's JSON 413", f"{status} {answer[:200]!r}")


def chunks():
    for _ in range(limit // 65536 + 1):
        yield b"\0" * 65536


status, _, answer = request("POST", "/api/classify", chunks(), {"Content-Type": "audio/wav"})  # chunked
check(status == 413 and b"NGINX" in answer, "a chunked upload over the limit gets NGINX's 413",
      f"{status} {answer[:200]!r}")

# The page and its script.
status, response, page = request("GET", "/")
check(status == 200 and response.getheader("Content-Type", "").startswith("text/html") and b"app.js" in page,
      "GET / serves the page", f"{status} {response.getheader('Content-Type')}")
status, response, script = request("GET", "/app.js")
check(status == 200 and b"/api/stream" in script, "GET /app.js serves the page's script", f"{status}")
status, _, answer = request("GET", "/api/no-such-endpoint")
check(status == 404 and (json_of(answer) or {}).get("status") == 404, "unknown paths get kws-serve's JSON 404",
      f"{status} {answer[:200]!r}")
