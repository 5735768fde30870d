#!/bin/sh
# Regenerates transport_pb2.py and transport_pb2_grpc.py from the contract,
# plugins/proto/transport.proto. The generated files are committed, so the
# plugin runs without any generator; run this after changing the contract
# (pythonecho_test.go fails while they differ from it).
#
# Generators, from Debian 12 (scripts/install-deps.sh --proto):
#   messages:  protoc 3.21.12            (protobuf-compiler)
#   services:  grpc_tools.protoc 1.14.1  (python3-grpc-tools)
# grpc_tools' own protoc is older than the python3-protobuf runtime (4.21)
# wants for messages, hence Debian's protoc for those.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
proto=$(cd "$here/../../plugins/proto" && pwd)
protoc -I"$proto" --python_out="$here" "$proto/transport.proto"
/usr/bin/python3 -m grpc_tools.protoc -I"$proto" --grpc_python_out="$here" "$proto/transport.proto"
