"""The page script's microphone transport for hands-free voice (issue 16): the scripts it serves.

``/voice-capture.js`` captures the microphone itself (``getUserMedia`` and an AudioWorklet, served as
``/voice-capture-worklet.js``; a ScriptProcessor where AudioWorklet is missing), downsamples to
16 kHz mono, and POSTs 0.2 s chunks of Int16 PCM with a sequence number to
``POST /voice/{session_id}/pcm?seq=N&stream=S&rate=16000`` (``simulator.web.voice_ui``). Failed
POSTs are retried (the server ignores a chunk it already has), and the server puts the chunks back
in order, so nothing is lost when the server is slow: chunks queue instead of being overwritten.
The view (chat, what was heard, status, the buyer's clips and stop orders) comes back through the
practice page's ``gr.Timer`` and ``/voice-player.js``. Both scripts are same-origin files, as the
CSP requires (no inline script, no eval). State for tests and diagnosis: ``window.sparringMic``.
"""

from __future__ import annotations

WORKLET_JS = """/* Sparring hands-free microphone: hand the main thread blocks of mono float samples. */
class SparringCapture extends AudioWorkletProcessor {
  constructor() { super(); this.buf = new Float32Array(2048); this.fill = 0; }
  process(inputs) {
    const input = inputs[0];
    if (!input || !input.length || !input[0]) return true;
    const n = input[0].length;
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let c = 0; c < input.length; c++) x += input[c][i];
      this.buf[this.fill++] = x / input.length;
      if (this.fill === this.buf.length) { this.port.postMessage(this.buf.slice(0)); this.fill = 0; }
    }
    return true;
  }
}
registerProcessor("sparring-capture", SparringCapture);
"""

CAPTURE_JS = """/* Sparring hands-free microphone (simulator/web/voice_capture.py): capture, downsample to 16 kHz mono
   Int16, POST 0.2 s chunks with sequence numbers to /voice/{session}/pcm; the server re-orders them.
   Started and stopped by the #hf-start / #hf-stop buttons; the session id is in #voice-session. */
(() => {
  const RATE = 16000, CHUNK = 3200, WAIT_SESSION_MS = 15000;
  const M = window.sparringMic = {state: "idle", stream: "", seq: 0, captured: 0, outstanding: 0, acked: 0,
                                  failed: 0, retries: 0, gaps: [], error: "", last: null, rate: 0,
                                  emitted: 0, fill: 0, startedAt: 0};
  let ctx = null, media = null, node = null, sink = null, src = null, session = "", before = "", waitSince = 0;
  let out = new Int16Array(CHUNK), fill = 0, acc = 0, n = 0, t = 0, ratio = 3, queue = [], timer = null;
  const sessionBox = () => ((document.querySelector("#voice-session textarea") || {}).value || "").trim();

  const post = (sid, stream, seq, body, tries) => {
    fetch(`/voice/${encodeURIComponent(sid)}/pcm?seq=${seq}&stream=${stream}&rate=${RATE}`, {
      method: "POST", headers: {"Content-Type": "application/octet-stream"}, body, credentials: "same-origin",
    }).then(async (r) => {
      if (r.ok) {
        M.acked += 1; M.outstanding -= 1; M.last = await r.json(); M.gaps = M.last.gaps || [];
        return;
      }
      if (r.status >= 500 || r.status === 429) throw new Error(`HTTP ${r.status}`);
      const detail = await r.json().then((j) => j.detail || "").catch(() => "");
      M.failed += 1; M.outstanding -= 1; M.error = `${r.status} ${detail}`;
      if (r.status === 401 || r.status === 403 || r.status === 409) stop();
    }).catch((e) => {
      if (tries < 6) {
        M.retries += 1;
        setTimeout(() => post(sid, stream, seq, body, tries + 1), 250 * (tries + 1));
      } else { M.failed += 1; M.outstanding -= 1; M.error = String(e); }
    });
  };

  const flush = () => {
    if (!queue.length) return;
    if (!session) {  // wait for the value the press wrote (session_id/nonce), not an earlier one
      const box = sessionBox();
      if (box && box !== before) session = box.split("/")[0];
    }
    if (!session) {
      if (Date.now() - waitSince > WAIT_SESSION_MS) { M.error = "no call to talk in: start a call first"; stop(); }
      return;
    }
    for (const [seq, body] of queue.splice(0)) post(session, M.stream, seq, body, 0);
  };

  const emit = () => {
    if (!fill) return;
    const body = out.slice(0, fill).buffer;
    queue.push([M.seq, body]); M.seq += 1; M.outstanding += 1; M.emitted += fill; fill = 0; M.fill = 0;
    flush();
  };

  const take = (block) => {  // box-filter downsampling to 16 kHz
    for (let i = 0; i < block.length; i++) {
      acc += block[i]; n += 1; t += 1;
      if (t >= ratio) {
        const x = Math.max(-1, Math.min(1, acc / n));
        out[fill++] = Math.round(x * 32767); M.captured += 1; M.fill = fill;
        acc = 0; n = 0; t -= ratio;
        if (fill === CHUNK) emit();
      }
    }
  };

  const start = async () => {
    if (M.state === "starting" || M.state === "live") return;
    M.state = "starting"; M.error = ""; M.seq = 0; M.captured = 0; M.emitted = 0; M.gaps = [];
    session = ""; before = sessionBox();
    M.stream = Math.random().toString(36).slice(2, 12); waitSince = Date.now();
    try {
      media = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true}});
      ctx = new AudioContext();
      await ctx.resume();
      M.rate = ctx.sampleRate; ratio = ctx.sampleRate / RATE;
      src = ctx.createMediaStreamSource(media);
      sink = ctx.createGain(); sink.gain.value = 0; sink.connect(ctx.destination);
      if (ctx.audioWorklet) {
        await ctx.audioWorklet.addModule("/voice-capture-worklet.js");
        node = new AudioWorkletNode(ctx, "sparring-capture");
        node.port.onmessage = (e) => take(e.data);
      } else {  // older browsers: the deprecated ScriptProcessor
        node = ctx.createScriptProcessor(4096, 1, 1);
        node.onaudioprocess = (e) => take(e.inputBuffer.getChannelData(0));
      }
      src.connect(node); node.connect(sink);
      timer = setInterval(flush, 200);
      M.state = "live"; M.startedAt = performance.now();
    } catch (e) {
      M.state = "error"; M.error = `microphone: ${e && e.message || e}`;
    }
  };

  const stop = () => {
    if (M.state !== "live" && M.state !== "starting") return;
    emit();
    if (media) media.getTracks().forEach((tr) => tr.stop());
    if (node) node.disconnect();
    if (ctx) ctx.close();
    media = node = ctx = src = sink = null;
    M.state = "stopped";
    const last = setInterval(() => { flush(); if (!queue.length) clearInterval(last); }, 200);
    if (timer) clearInterval(timer);
    timer = null;
  };

  M.start = start; M.stop = stop;
  document.addEventListener("click", (e) => {
    const el = e.target && e.target.closest ? e.target : null;
    if (el && el.closest("#hf-start")) start();
    else if (el && el.closest("#hf-stop")) stop();
  }, true);
})();
"""

CAPTURE_HEAD = '<script src="/voice-capture.js"></script>'
"""Goes into the page's ``<head>`` beside the player (``simulator/web/server.py``)."""
