# Reproducible build and test image: Debian 12 with exactly the packages of ci/deps,
# then the same build and tests as CI (`make`, `make test`).
#   docker build -t gateway .
FROM debian:12

ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8

# The dependency list first, so the package layer is reused while only sources change.
# armhf is added for the target sysroot's package lists (ci/armhf-sysroot fetches and
# unpacks armhf .debs into build/; nothing armhf is installed).
COPY ci/deps /tmp/ci-deps
RUN dpkg --add-architecture armhf \
 && apt-get update \
 && apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confnew $(sed -e 's/#.*//' /tmp/ci-deps) \
 && rm /tmp/ci-deps

WORKDIR /src
COPY . /src
RUN make && make test
