//! Word lists the synthetic package catalogue is built from: real Debian package and upstream project
//! names, so listings look plausible. Whitespace-separated; order matters (it seeds the catalogue).

/// Base system, installed on every simulated host. A trailing `!` marks an Essential package (apt refuses
/// to remove it), `^` one whose update asks for a reboot, `@` an architecture-independent one.
pub const BASE: &str = "
adduser@ apt apt-utils base-files! base-passwd! bash! bsdutils! ca-certificates@ coreutils! cpio cron
dash! dbus^ debconf@ debian-archive-keyring@ debianutils! diffutils! dmidecode dpkg! e2fsprogs fdisk
findutils! gcc-12-base gpgv grep! gzip! hostname! ifupdown init init-system-helpers!@ iproute2
iputils-ping isc-dhcp-client kmod less libacl1 libapt-pkg6.0 libattr1 libaudit1 libaudit-common@ libblkid1
libbz2-1.0 libc-bin! libc6^ libc-l10n@ libcap-ng0 libcap2 libcap2-bin libcom-err2 libcrypt1 libdb5.3
libdebconfclient0 libext2fs2 libfdisk1 libffi8 libgcc-s1 libgcrypt20 libgmp10 libgnutls30 libgpg-error0
libhogweed6 libidn2-0 liblz4-1 liblzma5 libmd0 libmount1 libncursesw6 libnettle8 libp11-kit0
libpam-modules libpam-modules-bin libpam-runtime@ libpam0g libpcre2-8-0 libseccomp2 libselinux1
libsemanage2 libsemanage-common@ libsepol2 libsmartcols1 libss2 libssl3 libstdc++6 libsystemd0
libtasn1-6 libtinfo6 libudev1 libunistring2 libuuid1 libxxhash0 libzstd1 login! logrotate logsave
mawk! mount nano ncurses-base!@ ncurses-bin! netbase@ openssh-client openssh-server openssh-sftp-server
openssl passwd perl-base! procps readline-common@ sed! sensible-utils@ systemd^ systemd-sysv
systemd-timesyncd sysvinit-utils! tar! tzdata@ udev usrmerge@ util-linux! vim-common@ vim-tiny wget
whiptail zlib1g linux-image-amd64^ linux-base@ intel-microcode^ firmware-linux-free@^ sudo rsyslog curl
libcurl4 gnupg@ gpg gpg-agent dirmngr unattended-upgrades@ apparmor libapparmor1 python3 python3-minimal
python3.11 python3.11-minimal libpython3.11 libpython3.11-minimal libpython3.11-stdlib perl
perl-modules-5.36@ libperl5.36 libexpat1 libsqlite3-0 libreadline8 libkmod2 libnftables1 libxtables12
libmnl0 libnftnl11 libelf1 libbpf1 libjson-c5 libkeyutils1 libkrb5-3 libkrb5support0 libk5crypto3
libgssapi-krb5-2 libldap-2.5-0 libsasl2-2 libsasl2-modules-db libnghttp2-14 libpsl5 librtmp1
libssh2-1 libbrotli1 libwrap0 libnewt0.52 libslang2 libpopt0 libedit2 libbsd0 libgdbm6 libgdbm-compat4
libip4tc2 libip6tc2 libnl-3-200 libnl-genl-3-200 libpci3 pci.ids@ libusb-1.0-0 usb.ids@ libnss-systemd
libpam-systemd libdevmapper1.02.1 libcryptsetup12 libargon2-1 libjson-glib-1.0-0 libglib2.0-0
shared-mime-info xdg-user-dirs libfuse3-3 fuse3 lsb-release@ bash-completion@ man-db manpages@ groff-base
bzip2 xz-utils file libmagic1 libmagic-mgc locales@ console-setup@ keyboard-configuration@ kbd
iptables nftables linux-libc-dev linux-headers-amd64 os-prober grub-common grub2-common grub-pc
grub-pc-bin ucf@ debconf-i18n@ liblocale-gettext-perl libtext-iconv-perl libtext-charwidth-perl
libtext-wrapi18n-perl@ media-types@ mime-support@ netcat-traditional bind9-host bind9-libs
bind9-dnsutils dnsutils traceroute tasksel@ tasksel-data@ discover discover-data installation-report@
";

/// Upstream library projects; each becomes `libNAME<soname>`, `libNAME-dev` and sometimes `-doc`,
/// `-common`, `-tools` or a GObject binding.
pub const LIB_STEMS: &str = "
xml2 xslt1 yaml jansson curl-gnutls ssh png16 jpeg62-turbo tiff webp gif freetype fontconfig harfbuzz
cairo pango-1.0 pixman-1 glib2.0 gtk-3 gdk-pixbuf-2.0 atk1.0 xcb x11 xext xrender xft xrandr xcursor
xkbcommon wayland-client drm epoxy vulkan pulse asound flac ogg vorbis opus sndfile mp3lame speex
samplerate avcodec avformat avutil swscale x264 x265 vpx aom dav1d openjp2 lcms2 exif usb-1.0 pcap
net ldap sasl2 krb5 gssapi kerberos keyutils nss3 nspr4 tasn1 idn2 psl brotli nghttp2 rtmp sqlite3 pq
mariadb hiredis lmdb leveldb rocksdb db5.3 gdbm tdb talloc tevent ldb smbclient wbclient archive zip
lz4 zstd snappy lzo2 xxhash pcre2 onig icu unistring readline edit ncurses slang newt popt argon2
sodium gcrypt gpgme assuan ksba npth nettle hogweed gmp mpfr mpc isl ffi unwind dw elf bpf audit cap
seccomp apparmor selinux semanage sepol acl attr blkid mount uuid fdisk smartcols parted lvm2app
devmapper cryptsetup dbus systemd polkit-gobject udisks2 upower-glib notify secret gcr soup-3.0
webkit2gtk javascriptcoregtk evdev input wacom mtdev gudev colord cups gs poppler qpdf mupdf raw heif
jbig paper gd magickcore graphite2 thai datrie fribidi hyphen hunspell enchant-2 aspell tidy markdown
cmark yajl protobuf grpc thrift avro capnp msgpackc zmq nanomsg event ev uv c-ares gnutls ssl mbedtls
boost-system boost-filesystem tbb eigen3 blas lapack fftw3 gsl hdf5 netcdf proj geos gdal spatialite
osmium tinyxml2 pugixml rapidjson fmt spdlog gflags glog gtest benchmark double-conversion re2 abseil
";

/// Programs and services, each a package of its own, sometimes with `-doc`, `-common` or `-data`.
pub const PROGRAMS: &str = "
nginx apache2 haproxy varnish squid bind9 unbound dnsmasq postfix dovecot-core exim4 rsync git
subversion mercurial tmux screen htop iotop iftop nmap tcpdump strace ltrace gdb valgrind make cmake
ninja-build meson autoconf automake libtool pkgconf bison flex m4 patch gcc g++ clang llvm ruby nodejs
golang rustc cargo openjdk-17-jre maven gradle ant php8.2 lua5.4 tcl jq zsh fish mc vim emacs-nox ed bc
dc lsof psmisc sysstat smartmontools lm-sensors ethtool bridge-utils vlan ufw fail2ban auditd chrony
ntpsec postgresql-15 mariadb-server redis-server memcached rabbitmq-server docker.io containerd runc
podman buildah skopeo lxc qemu-system-x86 libvirt-daemon virtinst ansible puppet-agent salt-minion
nfs-common nfs-kernel-server samba cifs-utils sshfs autofs lvm2 mdadm cryptsetup btrfs-progs xfsprogs
dosfstools ntfs-3g parted gdisk zip unzip p7zip-full zstd lz4 pigz tree ncdu rsnapshot borgbackup
restic duplicity bacula-client logwatch mailutils mutt lynx w3m elinks aria2 whois mtr-tiny
netcat-openbsd socat telnet ftp openvpn wireguard-tools strongswan snmpd snmp monitoring-plugins
zabbix-agent prometheus-node-exporter collectd telegraf filebeat fluent-bit syslog-ng-core
apt-listchanges needrestart debsums aptitude dctrl-tools reportbug info texinfo acpid irqbalance
thermald tuned cpufrequtils numactl hwloc pciutils usbutils lshw hdparm nvme-cli sg3-utils
multipath-tools open-iscsi targetcli-fb keepalived corosync pacemaker drbd-utils ceph-common
glusterfs-client cloud-init cloud-guest-utils qemu-guest-agent open-vm-tools hyperv-daemons
";

/// Python modules (`python3-NAME`).
pub const PYTHON: &str = "
requests urllib3 six yaml jinja2 markupsafe certifi chardet idna cryptography cffi pycparser setuptools
pip wheel attr dateutil tz babel docutils pygments sphinx pytest mock lxml bs4 html5lib simplejson
ujson msgpack psutil paramiko bcrypt nacl openssl ldap3 dnspython netaddr netifaces serial usb dbus gi
apt debian distro pkg-resources packaging pyparsing toml tomli click colorama tqdm rich numpy scipy
pandas matplotlib pil sqlalchemy psycopg2 mysqldb redis pymongo flask django werkzeug gunicorn celery
kombu amqp boto3 botocore s3transfer jmespath google-auth rsa pyasn1 oauthlib jwt zmq tornado twisted
gevent greenlet eventlet websocket aiohttp yarl multidict async-timeout charset-normalizer filelock
platformdirs virtualenv distlib jsonschema pyrsistent wrapt decorator future typing-extensions zipp
importlib-metadata more-itertools ply cython pybind11 lz4 zstd brotli snappy xxhash cachetools
configobj ruamel.yaml pexpect ptyprocess prompt-toolkit wcwidth ipython jedi parso traitlets
";

/// Perl modules (`libNAME-perl`).
pub const PERL: &str = "
file-which uri libwww http-message http-date html-parser html-tagset lwp-mediatypes encode-locale
io-socket-ssl net-ssleay net-http try-tiny json json-xs yaml-libyaml text-csv dbi dbd-pg dbd-mysql
mime-tools mailtools timedate date-manip datetime params-util sub-install module-runtime
class-accessor moo moose list-moreutils term-readkey digest-sha digest-hmac authen-sasl net-dns
net-ip io-stringy file-slurp path-tiny cgi fcgi template-toolkit xml-parser xml-libxml xml-simple
xml-sax archive-zip compress-raw-zlib error exporter-tiny regexp-common clone data-dump
devel-stacktrace exception-class test-deep sort-naturally filesys-df unix-syslog
";

/// Node.js modules (`node-NAME`).
pub const NODE: &str = "
lodash async debug ms chalk commander glob minimatch semver yargs uuid mime qs express body-parser
inherits readable-stream safe-buffer string-decoder util-deprecate once wrappy inflight graceful-fs
mkdirp rimraf through2 concat-stream xtend isarray core-util-is balanced-match brace-expansion
ansi-regex strip-ansi supports-color has-flag escape-string-regexp color-convert color-name
source-map acorn esprima estraverse js-yaml argparse punycode tslib typescript
";

/// Go libraries (`golang-github-NAME-dev`).
pub const GOLANG: &str = "
spf13-cobra spf13-pflag sirupsen-logrus stretchr-testify pkg-errors davecgh-go-spew pmezard-go-difflib
google-uuid gorilla-mux prometheus-client-golang hashicorp-go-multierror mattn-go-isatty fatih-color
burntsushi-toml coreos-go-systemd opencontainers-runtime-spec containerd-containerd docker-go-units
";

/// Fonts (`fonts-NAME`).
pub const FONTS: &str = "
dejavu-core liberation liberation2 noto-core noto-mono noto-color-emoji droid-fallback freefont-ttf
urw-base35 font-awesome lato open-sans roboto ubuntu hack inconsolata cantarell croscore
crosextra-carlito crosextra-caladea
";

/// Java libraries (`libNAME-java`).
pub const JAVA: &str = "
commons-lang3 commons-io commons-codec commons-logging commons-collections4 commons-compress commons-cli
guava jackson2-core jackson2-databind jackson2-annotations slf4j log4j2 logback junit4 junit5 hamcrest
mockito asm bcprov bcpkix httpclient httpcore jna jsch snakeyaml gson jsoup joda-time xerces2
xml-commons-external jaxb-api activation mail servlet-api jetty9 tomcat9 netty antlr4 freemarker
velocity ehcache hibernate-validator jboss-logging javassist byte-buddy objenesis cglib aopalliance
";

/// Ruby libraries (`ruby-NAME`).
pub const RUBY: &str = "
rack rails activesupport actionpack nokogiri json bundler rake thor i18n minitest rspec sinatra puma
unicorn mime-types net-ssh net-scp highline rainbow concurrent tzinfo builder erubi mustermann tilt
sass execjs multi-json faraday httparty rest-client addressable public-suffix ffi pg mysql2 sqlite3
redis sidekiq connection-pool
";

/// PHP extensions (`php8.2-NAME`).
pub const PHP: &str = "
cli common fpm curl gd mbstring xml zip mysql pgsql sqlite3 intl bcmath soap ldap imap redis apcu
imagick memcached opcache readline gmp xsl tidy
";

/// Words for one-line descriptions of programs.
pub const PROGRAM_PHRASES: &[&str] = &[
    "command-line utility",
    "server daemon",
    "system administration tool",
    "network service",
    "monitoring agent",
    "storage management tools",
    "development tool",
    "interactive shell and tools",
];
