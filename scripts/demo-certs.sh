#!/bin/sh
# Makes a throw-away CA, an agent server certificate (localhost, 127.0.0.1) and a client certificate
# with the openssl CLI (ECDSA P-256, one year). Usage: demo-certs.sh DIR   (writes DIR/{ca,server,client}.*)
set -eu
dir=${1:?usage: demo-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077
gen() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
gen ca
openssl req -x509 -new -key ca.key -sha256 -days 365 -subj "/O=Linux Patch demo/CN=Linux Patch demo CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
issue() { # name subject extensions
  gen "$1"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 365 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "/O=Linux Patch demo/CN=localhost" \
  "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
issue client "/O=Linux Patch demo/CN=demo-admin" \
  "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
chmod 644 ca.pem server.pem client.pem
rm -f ca.srl
