# kofukin: cgo build (DuckDB is linked statically from go-duckdb) on a Debian Go image,
# run on a glibc image with libstdc++.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -o /out/kofukin ./cmd/kofukin

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data kofukin \
    && mkdir -p /data && chown kofukin /data
COPY --from=build /out/kofukin /usr/local/bin/kofukin
USER kofukin
WORKDIR /data
VOLUME /data
ENV KOFUKIN_DB=/data/kofukin.duckdb KOFUKIN_OUT=/data/out TZ=Asia/Tokyo
ENTRYPOINT ["kofukin"]
CMD ["help"]
