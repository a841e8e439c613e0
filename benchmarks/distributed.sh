#!/usr/bin/env bash
# Data-parallel training measured (docs/distributed.md reads its numbers):
#
#   benchmarks/distributed.sh [local|netns|all] [STEPS]      (default: all, 4 steps)
#
# local: on this machine, tokens/s of 2 MPI ranks x 1 thread against 1
#   process x 2 threads at the same global batch, for char-small (6 layers,
#   6 heads, 384 wide, context 256, 2 x 4 sequences) and the GPT-2 124M
#   shape (12 layers, 12 heads, 768 wide, context 1024, vocabulary 50257,
#   2 x 1 sequences, on a shard of random tokens); and the all-reduce wait
#   per step with the buckets overlapped with backward and without
#   (--no-overlap), which gives how much of the communication backward hid.
# netns: the 2 ranks as two machines: two network namespaces joined by a
#   veth pair whose both ends are limited by tc (tbf) to 1 and to 10 Gbit/s,
#   Open MPI over TCP between 10.77.0.1 and 10.77.0.2 (addresses this
#   script creates and removes), mpirun's daemons started in each namespace
#   by a launch agent instead of ssh. Needs root (ip netns, tc).
#
# Every figure is the median of the steps after the first. Needs a build
# with -DTINYLM_MPI=ON in build/mpi (the script configures and builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
steps="${2:-4}"
build=build/mpi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYLM_MPI=ON -DTINYLM_BUILD_TESTS=OFF \
  -DTINYLM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j2 --target gpt_train >/dev/null
exe="$PWD/$build/examples/gpt_train"
work=$(mktemp -d /tmp/tinylm_distributed.XXXXXX)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none

# A shard of random GPT-2 token ids, for the 124M shape's vocabulary.
python3 - "$work/gpt2.bin" <<'EOF'
import random, struct, sys
random.seed(1)
n = 1 << 20
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<3i", 20240520, 1, n) + b"\0" * (1024 - 12))
    f.write(struct.pack("<%dH" % n, *[random.randrange(50257) for _ in range(n)]))
EOF

common=(--steps "$steps" --eval-every 1000000 --eval-iters 1 --sample-tokens 0 --warmup 1)
char_small=(--n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --synthetic-chars 200000)
gpt2=(--n-layer 12 --n-head 12 --n-embd 768 --block-size 1024 --data "$work/gpt2.bin" --vocab-size 50257)

# median of column $2 of metrics.csv $1 over the steps after the first
median() {
  tail -n +3 "$1" | cut -d, -f"$2" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
# runs gpt_train; prints "tokens/s ms/step wait-ms" (rank 0's: medians of the steps, the mean wait)
measure() {
  local out="$work/run.$RANDOM"
  local log
  log=$("$@" --out "$out" 2>&1) || { echo "$log" >&2; exit 1; }
  local wait
  wait=$(echo "$log" | sed -n 's/.* \([0-9.]*\) ms per step waited for.*/\1/p')
  echo "$(median "$out/metrics.csv" 5) $(median "$out/metrics.csv" 6) ${wait:--}"
}

row() {  # name shape... : prints one table row per configuration
  local name="$1"; shift
  local shape=("$@")
  local per_rank=4
  [ "$name" = "gpt2-124M" ] && per_rank=1
  read -r one_tps one_ms _ < <(measure "$exe" "${shape[@]}" "${common[@]}" --batch-size $((2 * per_rank)) --threads 2)
  read -r two_tps two_ms two_wait < <(measure mpirun -np 2 "$exe" "${shape[@]}" "${common[@]}" --batch-size $per_rank --threads 1)
  read -r no_tps no_ms no_wait < <(measure mpirun -np 2 "$exe" "${shape[@]}" "${common[@]}" --batch-size $per_rank --threads 1 --no-overlap)
  printf "| %s | %s | %s | %.2f | %s | %s | %.0f / %.0f |\n" "$name" "$one_tps" "$two_tps" \
    "$(awk -v a="$two_tps" -v b="$one_tps" 'BEGIN {print a / b}')" "$no_wait" "$two_wait" "$two_ms" "$no_ms"
}

if [ "$what" = local ] || [ "$what" = all ]; then
  echo "## This machine: 2 ranks x 1 thread vs 1 process x 2 threads (same global batch)"
  echo
  echo "| shape | 1 x 2 threads tok/s | 2 ranks x 1 tok/s | ratio | all-reduce ms/step, after backward | waited ms/step, overlapped | ms/step overlapped / after |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  row char-small "${char_small[@]}"
  row gpt2-124M "${gpt2[@]}"
  echo
fi

if [ "$what" = netns ] || [ "$what" = all ]; then
  [ "$(id -u)" -eq 0 ] || { echo "netns: needs root" >&2; exit 1; }
  cleanup() {
    ip netns del tlm0 2>/dev/null || true
    ip netns del tlm1 2>/dev/null || true
  }
  trap cleanup EXIT
  cleanup
  ip netns add tlm0
  ip netns add tlm1
  ip link add tlmv0 type veth peer name tlmv1
  ip link set tlmv0 netns tlm0
  ip link set tlmv1 netns tlm1
  ip -n tlm0 addr add 10.77.0.1/24 dev tlmv0
  ip -n tlm1 addr add 10.77.0.2/24 dev tlmv1
  for i in 0 1; do
    ip -n tlm$i link set lo up
    ip -n tlm$i link set tlmv$i up
  done
  cat >"$work/agent.sh" <<'EOF'
#!/bin/sh
# mpirun's "ssh": runs the command in the namespace of "host" 10.77.0.1 or 10.77.0.2.
host="$1"; shift
case "$host" in 10.77.0.1) ns=tlm0 ;; 10.77.0.2) ns=tlm1 ;; *) echo "agent: unknown host $host" >&2; exit 1 ;; esac
exec ip netns exec "$ns" /bin/sh -c "$*"
EOF
  chmod +x "$work/agent.sh"
  printf "10.77.0.1 slots=1\n10.77.0.2 slots=1\n" >"$work/hosts"
  mpi_net=(ip netns exec tlm0 mpirun --hostfile "$work/hosts" --mca plm_rsh_agent "$work/agent.sh"
    --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 -np 2)
  # The link: one-byte round trips and a bulk transfer, measured between the namespaces.
  link() {
    python3 - <<'EOF'
import socket, subprocess, sys, time
srv = subprocess.Popen(["ip", "netns", "exec", "tlm1", "python3", "-c", """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('10.77.0.2', 5999)); s.listen(1)
c, _ = s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for _ in range(2000): c.sendall(c.recv(1))
n = 0
while n < 200 << 20:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
c.sendall(b'k')
"""])
time.sleep(0.5)
cli = subprocess.run(["ip", "netns", "exec", "tlm0", "python3", "-c", """
import socket, time
c = socket.create_connection(('10.77.0.2', 5999)); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
t = time.time()
for _ in range(2000): c.sendall(b'x'); c.recv(1)
rtt = (time.time() - t) / 2000
buf = b'\\0' * (1 << 20); t = time.time()
for _ in range(200): c.sendall(buf)
c.recv(1)
print('%.1f %.3f' % (rtt * 1e6, 200 * 8 * (1 << 20) / (time.time() - t) / 1e9))
"""], capture_output=True, text=True)
srv.wait()
print(cli.stdout.strip())
EOF
  }
  echo "## Two namespaces over a veth pair limited by tbf (TCP between the ranks)"
  echo
  echo "| link | measured round trip us, Gbit/s | shape | all-reduce ms/step, after backward | waited ms/step, overlapped | ms/step overlapped / after |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for rate in 1gbit 10gbit; do
    burst=512kb
    [ $rate = 10gbit ] && burst=5mb  # about 4 ms of the rate: what the kernel's timer needs to reach it
    for i in 0 1; do ip netns exec tlm$i tc qdisc replace dev tlmv$i root tbf rate $rate burst $burst latency 400ms; done
    read -r rtt gbps < <(link)
    for shape in char-small gpt2-124M; do
      if [ $shape = char-small ]; then args=("${char_small[@]}") per_rank=4; else args=("${gpt2[@]}") per_rank=1; fi
      read -r _ ov_ms ov_wait < <(measure "${mpi_net[@]}" "$exe" "${args[@]}" "${common[@]}" --batch-size $per_rank --threads 1)
      read -r _ no_ms no_wait < <(measure "${mpi_net[@]}" "$exe" "${args[@]}" "${common[@]}" --batch-size $per_rank --threads 1 --no-overlap)
      printf "| %s | %s, %s | %s | %s | %s | %.0f / %.0f |\n" "$rate" "$rtt" "$gbps" "$shape" "$no_wait" "$ov_wait" "$ov_ms" "$no_ms"
    done
  done
fi
rm -rf "$work"
