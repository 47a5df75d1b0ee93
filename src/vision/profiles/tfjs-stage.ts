/**
 * The TF.js side of the profiles (SSD faces), loaded on demand: a profile that runs only
 * ONNX models never starts the TF.js WASM engine, which keeps its memory and start-up out of the process.
 */
export { SsdFaceModel } from '../faces/ssd-face-model.js';
export { imageToTensor } from '../image-tensor.js';
export { initTfjsWasm } from '../runtime/tfjs-runtime.js';
