# SPDX-License-Identifier: Apache-2.0
# Sourced by the labs: a throw-away Samba (smbd) with one public share.
#   samba_conf DIR ADDRESS PORTS   writes DIR/smb.conf: SMB1 allowed, listening on ADDRESS
#                                  PORTS ("445" or "445 139"), state under DIR/smb, a
#                                  guest-readable share [pub] at DIR/pub with one file
samba_conf() {
	local d=$1 addr=$2 ports=$3
	mkdir -p "$d/smb/lock" "$d/smb/state" "$d/smb/cache" "$d/smb/pid" "$d/smb/private" \
		"$d/smb/ncalrpc" "$d/pub"
	echo "quarterly numbers" >"$d/pub/readme.txt"
	cat >"$d/smb.conf" <<CONF
[global]
  server min protocol = NT1
  smb ports = $ports
  interfaces = $addr
  bind interfaces only = yes
  disable netbios = yes
  lock directory = $d/smb/lock
  state directory = $d/smb/state
  cache directory = $d/smb/cache
  pid directory = $d/smb/pid
  private dir = $d/smb/private
  ncalrpc dir = $d/smb/ncalrpc
  log file = $d/smbd.log
  map to guest = Bad User
  guest account = nobody
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[pub]
  path = $d/pub
  guest ok = yes
  read only = yes
CONF
}
