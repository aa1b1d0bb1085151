# proxyload.sh CURL-PROXY-ARG
want=$(cat /tmp/s2/www/blob.md5)
ok=0; bad=0
for i in $(seq 1 200); do echo $i; done | xargs -P 50 -I{} sh -c "curl -s --max-time 20 $1 http://127.0.0.1:21800/blob | md5sum | cut -c1-32" > /tmp/s2/pl.$$.out
ok=$(grep -c $want /tmp/s2/pl.$$.out); echo "proxied 200 fetches via 50 parallel clients: ok=$ok bad=$((200-ok))"; rm /tmp/s2/pl.$$.out
