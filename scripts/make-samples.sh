#!/usr/bin/env bash
# Generates a small sample archive with known content (nothing downloaded): documents, a scanned-looking
# image with text, speech, a video with on-screen text and speech, an e-mail with an attachment, a zip.
set -euo pipefail
out=${1:-samples}
[ -f "$out.stamp" ] && exit 0
mkdir -p "$out/documents" "$out/images" "$out/media" "$out/mail"
cd "$out"

cat > documents/harbour-report.txt <<'TXT'
Harbour inspection report, 14 March 2024.
The inspector found three containers without seals at the north quay of the harbour.
Contact: port.office@example.org, +44 20 7946 0958.
TXT
cat > documents/minutes.md <<'TXT'
# Council minutes

The council discussed the new library, the bridge repairs and the budget for the harbour lighthouse.
TXT
printf 'date,place,event\n2024-03-14,north quay,inspection\n2024-04-02,lighthouse,repair\n' > documents/events.csv
cat > documents/press.html <<'TXT'
<!doctype html><html><head><title>Press release</title><script>var hidden = "should-not-be-indexed";</script></head>
<body><h1>New ferry line</h1><p>A new ferry line will connect the harbour with the island from June.</p></body></html>
TXT
printf 'Le conseil municipal a approuv\xe9 la r\xe9novation du phare du port.\n' > documents/conseil-latin1.txt

convert -size 900x260 xc:white -font DejaVu-Sans -pointsize 44 -fill black \
  -annotate +40+90 'HARBOUR MASTER OFFICE' -annotate +40+180 'Opening hours 9 to 17' images/sign.png
convert -size 640x400 gradient:skyblue-navy -fill white -draw 'circle 320,200 320,120' images/moon.jpg

flite -voice slt -t "The ferry to the island leaves the harbour at nine in the morning." -o media/announcement.wav 2>/dev/null || true
if [ -f media/announcement.wav ]; then
  ffmpeg -nostdin -v error -y -f lavfi -i "color=c=navy:s=1280x720:d=6" -i media/announcement.wav \
    -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text='FERRY TIMETABLE':fontcolor=white:fontsize=72:x=200:y=300" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -shortest media/ferry.mp4
fi

cat > mail/notice.eml <<'TXT'
From: Port Office <port.office@example.org>
To: Newsroom <desk@example.org>
Subject: Lighthouse closure
Date: Tue, 2 Apr 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

The lighthouse will be closed for repairs during April.
--b1
Content-Type: text/plain; name="schedule.txt"
Content-Disposition: attachment; filename="schedule.txt"

Repair schedule: scaffolding on 3 April, new lamp on 10 April.
--b1--
TXT
(cd documents && python3 -c "
import zipfile
with zipfile.ZipFile('../documents/archive.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('old/letter.txt', 'A letter about the old harbour wall, written in 1952.')
")
touch "../$(basename "$out").stamp"
