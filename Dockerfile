# notechondria-auth container image.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t notechondria-auth .
#   docker run -d -p 8080:8080 -v ntc-data:/data --env-file ./env notechondria-auth
#
# The build stage runs `make build`, the very command developers and CI run,
# so the image holds the same static binary (CGO_ENABLED=0, -trimpath,
# -ldflags "-s -w -X main.version=$(VERSION)"). Plain Dockerfile syntax, no
# BuildKit-only features, so any builder (BuildKit, Kaniko, Buildah) works.

ARG GO_VERSION=1.26

# ---- build -------------------------------------------------------------------
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src

# Modules first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
# .git is not sent to the builder (.dockerignore), so pass the version in.
ARG VERSION=dev
RUN make build VERSION="${VERSION}" \
 && ./bin/notechondria-auth version \
 && mkdir -p /out/data \
 && cp bin/notechondria-auth /out/notechondria-auth

# ---- run ---------------------------------------------------------------------
# distroless/static: no shell, no package manager, but CA certificates (SMTP
# over TLS, OAuth token exchanges with Google and GitHub), tzdata and a
# nonroot user (65532). The binary is static, so nothing else is needed.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/notechondria-auth /notechondria-auth
# An empty /data owned by the runtime user: a fresh named volume mounted here
# inherits this ownership, so the server can create its database.
COPY --from=build --chown=65532:65532 /out/data /data

ENV NTC_ADDR=0.0.0.0:8080 \
    NTC_DB=/data/auth.db

VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532

# There is no curl in this image: the binary checks itself
# (GET http://127.0.0.1:8080/healthz, exit 0 on 200). It does not read
# NTC_ADDR: if you change the port, also set
# NTC_HEALTHCHECK_URL=http://127.0.0.1:PORT/healthz (or override this line
# with `healthcheck --url ...`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/notechondria-auth", "healthcheck"]

# ENTRYPOINT is the binary and CMD the subcommand, so the same image also runs
# admin commands: docker run --rm -v ntc-data:/data IMAGE user list
ENTRYPOINT ["/notechondria-auth"]
CMD ["serve"]
