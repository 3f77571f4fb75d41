#!/bin/bash
# Runs as services, in both monitors: `toro run --detach` prints "NAME PID" and goes on in the
# background, `toro ps` lists it, `toro logs` shows its console, `toro stop` ends it; afterwards
# nothing is left (no process, no socket, no forward listening, no record). Also --log and
# --quiet in the foreground, a name in use refused; and --pin, seen in the threads' affinity.
# PARTS: qemu toro
. "$(dirname "$0")/lib.sh"
tmp=$E2E_TMP
hang=$BUILD/tests/guest/native_hang.elf
hello=$BUILD/examples/hello.elf
export XDG_RUNTIME_DIR=$tmp/run
mkdir -p "$XDG_RUNTIME_DIR"
state=$XDG_RUNTIME_DIR/toro
port=$((20000 + $$ % 20000))

# Whether something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp: no other tool).
listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds; false if it never did.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# Whether process $1 is there: a zombie is not (the state directory's runs are reparented, and
# not every init reaps at once).
alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) [ZX] ' "/proc/$1/stat"
}

log_says() {
	"$TORO" logs "$1" 2>/dev/null | grep -q "$2"
}

for vmm in toro qemu; do
	check "detach-ps-logs-stop@$vmm" "$vmm" || continue
	name=svc-$vmm sock=$tmp/$vmm.sock
	run "$TORO" run "$hang" --vmm "$vmm" --detach --name "$name" --vsock "$sock" -f "$port:80"
	want_status 0
	want_line out "^$name [0-9]+$"
	pid=$(awk '{print $2}' "$OUT")
	[ -n "$pid" ] && alive "$pid" || problem "no process $pid after --detach"
	wait_for 30 log_says "$name" "^spinning forever$" ||
		problem "toro logs $name never showed the console: $("$TORO" logs "$name" 2>&1)"
	"$TORO" ps >"$tmp/ps" 2>&1 || problem "toro ps failed: $(cat "$tmp/ps")"
	grep -Eq "^$name +$pid +.*native_hang.elf$" "$tmp/ps" || problem "toro ps: $(cat "$tmp/ps")"
	[ -S "$sock" ] || problem "no --vsock socket while it runs"
	listening "$port" || problem "--forward $port:80 not listening while it runs"
	# The name is taken while the run lasts.
	"$TORO" run "$hang" --vmm "$vmm" --detach --name "$name" 2>"$tmp/again"
	[ $? = 2 ] && grep -q "already in use by pid $pid" "$tmp/again" ||
		problem "second --name $name: $(cat "$tmp/again")"
	run "$TORO" stop "$name"
	want_status 0
	alive "$pid" && problem "process $pid still there after toro stop"
	[ -e "$sock" ] && problem "socket $sock left behind"
	listening "$port" && problem "port $port still listening after toro stop"
	[ -e "$state/$name.run" ] && problem "record left behind"
	"$TORO" ps | grep -q "^$name " && problem "toro ps still lists $name"
	"$TORO" logs "$name" >"$tmp/log" 2>&1
	grep -q "^toro: $name ended with status 130$" "$tmp/log" ||
		problem "the log does not end with the status: $(tail -3 "$tmp/log")"
	report
done

# Stopped by its pid, without --name (a name made from the image); --quiet: no notices in the
# log; --log puts the log where asked.
for vmm in toro qemu; do
	check "detach-quiet-stop-by-pid@$vmm" "$vmm" || continue
	run "$TORO" run "$hang" --vmm "$vmm" --detach --quiet --log "$tmp/$vmm-quiet.log"
	want_status 0
	want_line out "^native_hang-[0-9]+ [0-9]+$"
	read -r name pid <"$OUT"
	wait_for 30 grep -q "^spinning forever$" "$tmp/$vmm-quiet.log" ||
		problem "--log file never showed the console"
	run "$TORO" stop "$pid"
	want_status 0
	alive "$pid" && problem "process $pid still there after toro stop"
	grep -q "ended with status" "$tmp/$vmm-quiet.log" &&
		problem "--quiet, and the log has notices: $(cat "$tmp/$vmm-quiet.log")"
	compgen -G "$state/*.run" >/dev/null && problem "records left behind: $(ls "$state")"
	report
done

# In the foreground: --log takes the console off stdout; --name records the run while it lasts.
for vmm in toro qemu; do
	check "log@$vmm" "$vmm" || continue
	run "$TORO" run "$hello" --vmm "$vmm" --log "$tmp/hello-$vmm.log"
	want_status 0
	want_count out . 0
	grep -q "Hello World" "$tmp/hello-$vmm.log" || problem "no greeting in the --log file"
	report

	check "name-foreground@$vmm" "$vmm" || continue
	"$TORO" run "$hang" --vmm "$vmm" --name fg --timeout 60 </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	wait_for 30 sh -c "'$TORO' ps | grep -q '^fg  *$pid '" || problem "toro ps never listed fg"
	"$TORO" stop fg || problem "toro stop fg failed"
	wait "$pid"
	ran $?
	want_status 130
	[ -e "$state/fg.run" ] && problem "record left behind"
	report
done
# --pin 1,0 on 2 vCPUs: in the built-in monitor the boot CPU's thread (the process's main
# thread) is on host CPU 1 and another thread on CPU 0; QEMU as a whole is on CPUs 0 and 1.
allowed() {
	sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$1"
}
for vmm in toro qemu; do
	check "pin@$vmm" "$vmm" || continue
	if [ "$(getconf _NPROCESSORS_ONLN)" -lt 2 ]; then
		problem "this place has fewer than 2 CPUs"
		report
		continue
	fi
	run "$TORO" run "$hang" --vmm "$vmm" --cpus 2 --pin 1,0 --detach --name pin
	want_status 0
	read -r _ pid <"$OUT"
	wait_for 30 log_says pin "^spinning forever$" || problem "the guest never started"
	if [ "$vmm" = toro ]; then
		[ "$(allowed "/proc/$pid/task/$pid/status")" = 1 ] ||
			problem "boot vCPU thread allowed on $(allowed "/proc/$pid/task/$pid/status")"
		grep -l "^Cpus_allowed_list:[[:space:]]*0$" /proc/"$pid"/task/*/status >/dev/null ||
			problem "no thread pinned to CPU 0"
	else
		read -r qemu _ < <(cat /proc/"$pid"/task/*/children)
		[ -n "$qemu" ] && [ "$(allowed "/proc/$qemu/status")" = 0-1 ] ||
			problem "QEMU ($qemu) allowed on $(allowed "/proc/$qemu/status" 2>&1)"
		"$TORO" logs pin | grep -q "^toro: --pin under QEMU: QEMU as a whole" ||
			problem "no notice that QEMU's vCPUs are not pinned one by one"
	fi
	"$TORO" stop pin || problem "toro stop pin failed"
	report
done
e2e_exit
