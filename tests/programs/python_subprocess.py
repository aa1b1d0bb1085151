"""Python's subprocess from many threads at once: each thread runs a
command that echoes its input back through pipes. Python's child is made
with vfork and calls close_range over every fd before it execs; under
mnrt that child acted on its parent's state, and the parent's threads
found their pipes closed (EBADF) or hung."""
import subprocess
import threading

results = {}


def work(i):
    out = subprocess.run(["cat"], input=f"{i}\n", capture_output=True, text=True,
                         timeout=60).stdout
    results[i] = out.strip()


threads = [threading.Thread(target=work, args=(i,)) for i in range(40)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("commands run:", len(results))
print("each echoed its input:", all(results[i] == str(i) for i in range(40)))
