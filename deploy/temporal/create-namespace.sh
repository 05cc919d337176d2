#!/bin/sh
# Registers the namespace the worker uses, DEFAULT_NAMESPACE, on the server
# at TEMPORAL_ADDRESS, or finds it registered. docker-compose.yml runs it in
# the one-shot temporal-namespace service once the server listens, and
# starts the worker after it exits 0. It retries while the server is still
# starting (the port opens before the frontend answers), for two minutes.
set -eu
: "${TEMPORAL_ADDRESS:?host:port of the frontend}" "${DEFAULT_NAMESPACE:?}"

attempt=1
until temporal operator namespace describe --namespace "$DEFAULT_NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
	temporal operator namespace create --namespace "$DEFAULT_NAMESPACE" --address "$TEMPORAL_ADDRESS" \
		--retention "${DEFAULT_NAMESPACE_RETENTION:-24h}"; do
	if [ "$attempt" -ge 60 ]; then
		echo "namespace $DEFAULT_NAMESPACE: neither found nor created at $TEMPORAL_ADDRESS after $attempt attempts" >&2
		exit 1
	fi
	attempt=$((attempt + 1))
	sleep 2
done
echo "namespace $DEFAULT_NAMESPACE: registered"
