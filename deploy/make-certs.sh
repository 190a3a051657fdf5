#!/bin/sh
# make-certs.sh: the compose stack's private CA and the server certificates
# of postgres, the mail catcher and the proxy, so that careconnect and
# Temporal reach PostgreSQL and the mail catcher over verified TLS
# (sslmode=verify-full, SMTP STARTTLS), as production must, and browsers
# reach the portal over HTTPS (the proxy's certificate names localhost and
# CARECONNECT_PUBLIC_HOST, when set). Run once by the one-shot `certs`
# service into the `certs` volume; it leaves existing certificates alone
# (a volume missing one of them is issued a fresh set). The CA key is
# deleted once the certificates are signed: nothing else is ever issued
# from it. Trust ca.crt in a browser to open https://localhost:8443.
#
# The postgres image runs it: it has openssl, and its postgres user
# (POSTGRES_UID, 999 in the image) must own the database server's key.
# deploy/compose_test.go runs it too.
set -eu
dir=${1:-/certs}
owner=${POSTGRES_UID:-999}
cd "$dir"
if [ -s ca.crt ] && [ -s postgres.key ] && [ -s mailcatcher.key ] && [ -s proxy.key ]; then
	echo "certificates already in $dir"
	exit 0
fi
umask 077
cat >ca.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = CareConnect compose stack CA
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
openssl req -x509 -config ca.cnf -extensions ca -newkey rsa:2048 -nodes -sha256 -days 825 \
	-keyout ca.key -out ca.crt
for host in postgres mailcatcher proxy; do
	san="DNS:$host"
	if [ "$host" = proxy ]; then
		san="DNS:localhost,IP:127.0.0.1${CARECONNECT_PUBLIC_HOST:+,DNS:$CARECONNECT_PUBLIC_HOST}"
	fi
	printf '%s\n' "basicConstraints = critical,CA:FALSE" "keyUsage = critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage = serverAuth" "subjectAltName = $san" >"$host.ext"
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$host" -keyout "$host.key" -out "$host.csr"
	openssl x509 -req -in "$host.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
		-extfile "$host.ext" -out "$host.crt"
done
rm -f ca.key ca.srl ca.cnf ./*.csr ./*.ext
chmod 644 ca.crt postgres.crt mailcatcher.crt proxy.crt
# Caddy runs as root.
chmod 600 proxy.key
# PostgreSQL refuses a key others can read, and must own it.
chown "$owner:$owner" postgres.key
chmod 600 postgres.key
# Mailpit runs as root (or, on OpenShift, as some user in group 0).
chmod 640 mailcatcher.key
echo "made a private CA and certificates for postgres, mailcatcher and the proxy in $dir"
