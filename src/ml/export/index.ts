export { exportOnnx, ONNX_OUTPUTS, type OnnxExportOptions } from './onnx.ts';
