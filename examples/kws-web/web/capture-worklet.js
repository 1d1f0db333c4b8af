// AudioWorklet processor of the kws-web page: hands the microphone's PCM (channel 0, at the
// AudioContext's rate, which the page sets to the model's) to the page in blocks, posted as
// transferred Float32Arrays. Blocks of 512 samples (32 ms at 16 kHz) are well under the
// detector's 100 ms stride, so every evaluation is shown as it happens, without a message per
// 128-sample render quantum.
const BLOCK = 512;

class KwsCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(BLOCK);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;  // no input connected (yet)
    for (let offset = 0; offset < channel.length;) {
      const n = Math.min(channel.length - offset, BLOCK - this.filled);
      this.block.set(channel.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === BLOCK) {
        this.port.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(BLOCK);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('kws-capture', KwsCapture);
