# userfront-mock as a container image: the static binary alone, FROM scratch (no base image to
# pull). Build the binary first, then the image:
#
#   bin=$(scripts/build-static) && cp "$bin" target/docker-userfront-mock
#   docker build -t userfront-mock .
#   docker run --rm -p 4780:4780 userfront-mock
#
# scripts/container-test does this and runs the conformance suite against the container.
FROM scratch
COPY target/docker-userfront-mock /userfront-mock
# Every interface, so the published port reaches it; the binary warns that the control
# surface is then open to whoever can reach the port (keep it to test networks).
ENV USERFRONT_MOCK_HOST=0.0.0.0 \
    USERFRONT_MOCK_PORT=4780
EXPOSE 4780
# Not root: any numeric uid works, the binary needs no file system.
USER 65532:65532
# There is no curl in scratch: the binary asks GET /__mock/health itself.
HEALTHCHECK --interval=5s --timeout=4s --start-period=2s --retries=3 \
    CMD ["/userfront-mock", "health"]
ENTRYPOINT ["/userfront-mock"]
