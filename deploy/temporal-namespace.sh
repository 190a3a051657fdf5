#!/bin/sh
# temporal-namespace.sh: the compose stack's namespace job (admin-tools
# image). It creates the namespace with its retention, or sets the
# retention of the existing one, and creates the enrolment workflows'
# search attributes, as an operator does for a production cluster
# (README "Search attributes"): production workers do not register them
# (temporal.register_search_attributes is false in production).
#
# The names and types below must be workflows.SearchAttributes();
# deploy/compose_test.go checks they are.
set -eu
ns=${NAMESPACE:-default}
retention=${RETENTION:-30d}
addr=${TEMPORAL_ADDRESS:-temporal:7233}
export TEMPORAL_ADDRESS="$addr"

tries=0
until temporal operator cluster health >/dev/null 2>&1; do
	tries=$((tries + 1))
	[ "$tries" -lt 30 ] || { echo "temporal at $addr is not healthy" >&2; exit 1; }
	sleep 2
done

if temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
	temporal operator namespace update --namespace "$ns" --retention "$retention"
	echo "namespace $ns: retention $retention"
else
	temporal operator namespace create --namespace "$ns" --retention "$retention"
	echo "namespace $ns created: retention $retention"
fi

for attr in \
	CareConnectStatus=Keyword \
	CareConnectWaitingOn=Keyword \
	CareConnectProfession=Keyword \
	CareConnectWorksiteID=KeywordList; do
	name=${attr%%=*}
	type=${attr#*=}
	tries=0
	# A namespace just created takes a few seconds to reach every service.
	until temporal operator search-attribute list --namespace "$ns" 2>/dev/null | grep -qw "$name" ||
		temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"; do
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || { echo "could not create search attribute $name" >&2; exit 1; }
		sleep 3
	done
	echo "search attribute $name ($type) present"
done
