#!/usr/bin/env python3
"""What greedy socket clients cost the daemon: its resident memory (VmHWM) idle, after 2,000
ingests, after a 100 MB request line without a newline, with 20 unread whole-backlog subscribers
plus 20 subscribe requests on one unread connection, and with 300 more connections (over
daemon.max_clients = 256). Usage: scripts/client-bounds.py target/release/copydesk"""
import os, shutil, socket, subprocess, sys, tempfile, time, json, threading
bin_ = sys.argv[1]
d = tempfile.mkdtemp(prefix="copydesk-bounds-")
os.makedirs(d + "/inbox/requests")
open(d + "/config.toml", "w").write(f'[paths]\ninbox = "{d}/inbox"\ndb = "{d}/db"\n[daemon]\nsettle_ms = 100\n')
p = subprocess.Popen([bin_, "--config", d + "/config.toml", "serve"], stderr=subprocess.DEVNULL)
sock = d + "/db/copydesk.sock"
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sock); s.close(); break
    except OSError: time.sleep(0.05)
def hwm():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmHWM") or l.startswith("VmRSS"): print("  ", l.strip())
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rb"); f.readline(); return s, f
print("idle:"); hwm()
# 2000 events in the store
for i in range(2000):
    open(f"{d}/inbox/requests/{i:05}-{'n'*150}.txt", "w").write(f"Story {i}: the council met on day {i}.\n")
s, f = conn(); s.sendall(json.dumps({"req": 1, "op": "ingest", "paths": [d + "/inbox/requests"]}).encode() + b"\n"); f.readline(); s.close()
print("after ingesting 2,000 files:"); hwm()
# one client sends 100 MB without a newline
s, f = conn()
def send():
    try: s.sendall(b"x" * (100 << 20))
    except OSError: pass
t = threading.Thread(target=send); t.start(); print("  reply:", f.readline()[:120]); t.join(); s.close()
print("after a 100 MB line without a newline:"); hwm()
# 20 connections each asking the whole backlog, reading nothing; and 20 asks on one connection
held = []
for i in range(20):
    s, f = conn(); s.sendall(b'{"req":1,"op":"subscribe","after":0}\n'); held.append((s, f))
s, f = conn()
for i in range(20): s.sendall(b'{"req":%d,"op":"subscribe","after":0}\n' % (i + 1))
held.append((s, f)); time.sleep(3)
print("20 unread whole-backlog subscribers + 20 subscribes on one unread connection:"); hwm()
# connection cap
many = []
refused = 0
for i in range(300):
    c = socket.socket(socket.AF_UNIX); c.connect(sock); line = c.makefile("rb").readline()
    if b'"error"' in line: refused += 1
    many.append(c)
print(f"300 more connections: {refused} turned away (max_clients 256, {len(held)} held before)"); hwm()
print("open descriptors:", len(os.listdir(f"/proc/{p.pid}/fd")))
p.terminate(); p.wait()
shutil.rmtree(d)
