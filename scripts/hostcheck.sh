#!/bin/sh
# Fingerprint of this machine's own package databases (dpkg, rpm/dnf, pacman, apk). `make test` takes one
# before and one after the tests: they drive real package managers, always in sandboxes, and this proves
# it. sqlite's -shm files are left out (any read of the rpm database rewrites them).
{
  sha256sum /var/lib/dpkg/status /var/lib/dpkg/available 2>/dev/null
  ls /var/lib/dpkg/info 2>/dev/null | wc -l
  for d in /var/lib/rpm /usr/lib/sysimage/rpm /var/lib/dnf /var/cache/dnf /var/lib/pacman /var/cache/pacman \
           /etc/yum.repos.d /etc/pacman.d /var/log/dnf.log /var/log/pacman.log "${HOME:-/root}/.rpmdb" \
           /var/log/dnf.rpm.log /var/lib/dnf/plugins /etc/apk /lib/apk /var/cache/apk; do
    if [ -e "$d" ]; then
      echo "$d: $(find "$d" -type f ! -name '*-shm' 2>/dev/null | sort | xargs -r sha256sum 2>/dev/null | sha256sum | cut -c1-16)"
    else
      echo "$d: absent"
    fi
  done
}
