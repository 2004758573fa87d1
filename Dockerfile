# zkit: a ZooKeeper-compatible server in a small static image.
#
#   docker build -t zkit .
#   docker run -d --name zk -p 2181:2181 zkit
#   echo ruok | nc 127.0.0.1 2181        # imok
#
# It takes the official ZooKeeper image's environment variables (ZOO_MY_ID,
# ZOO_SERVERS, ZOO_TICK_TIME, ZOO_INIT_LIMIT, ZOO_SYNC_LIMIT,
# ZOO_4LW_COMMANDS_WHITELIST, ZOO_DATA_DIR, ...) to write /conf/zoo.cfg when
# none is mounted; see docs/operations.md.

FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo). -buildvcs=false: the build context has no .git; the
# version comes from the module.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/zkit ./cmd/zkit \
 && mkdir -p /out/conf /out/data /out/datalog

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/zkit /usr/local/bin/zkit
COPY --from=build --chown=65532:65532 /out/conf /conf
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 /out/datalog /datalog
USER 65532:65532
ENV ZOO_DATA_DIR=/data ZOO_DATA_LOG_DIR=/datalog
VOLUME ["/data", "/datalog"]
# client, quorum, election, AdminServer, Prometheus metrics
EXPOSE 2181 2888 3888 8080 7000
HEALTHCHECK --interval=10s --timeout=5s CMD ["/usr/local/bin/zkit", "status", "127.0.0.1:2181"]
ENTRYPOINT ["/usr/local/bin/zkit", "server", "-from-env", "-config", "/conf/zoo.cfg"]
