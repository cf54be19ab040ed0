#!/usr/bin/env bash
# check-globals.sh LIB.a: the mutable state of a library: every object in a writable data section (.data,
# .bss, their thread-local forms; not .data.rel.ro, which is read-only once relocated). Lodge keeps all
# state in explicit contexts (engine, store, machine), so many guests live in one process; the only
# exceptions are listed here with the reason, and anything else fails.
# Prints one line per object found; exits 1 when one is not allowed.
set -u
lib=${1:?usage: check-globals.sh LIB.a}
# object file: symbols, and why they cannot hang off a context
allowed=(
    # The fault handler is process-wide and gets no argument of ours: the thread's TrapScope (the
    # one thread-local), the handlers it chains to, the fatal hooks, the alternate stacks' key.
    "trap.o:trap_thread"
    "trap.o:installed" "trap.o:prev_actions" "trap.o:install_lock"
    "trap.o:hooks"
    "trap.o:altstack_once" "trap.o:altstack_key" "trap.o:altstack_key_ok"
)
bad=0
while read -r obj sect name; do
    ok=0
    for a in "${allowed[@]}"; do
        [ "$a" = "$obj:$name" ] && ok=1
    done
    if [ $ok = 1 ]; then
        echo "allowed: $obj $sect $name"
    else
        echo "MUTABLE: $obj $sect $name"
        bad=1
    fi
done < <(objdump -t "$lib" | awk '
    /^[^ ]+\.o:/ { obj = $1; sub(/:$/, "", obj); next }
    {
        for (i = 1; i <= NF; i++)
            if ($i ~ /^\.(data|bss|tdata|tbss)(\.|$)/ && $i !~ /^\.data\.rel\.ro/) {
                name = $NF
                # section symbols, compiler-made local labels and sanitizer metadata are not state
                if (name ~ /^\./ || name ~ /^__(odr_)?asan|^__ubsan|^__sancov/ || $0 ~ / d  /) break
                print obj, $i, name
                break
            }
    }')
exit $bad
