/** What src/engine/images.ts decodes every image to, and what the VLM and OCR work on. */
export interface RgbImage {
  /** width * height * 3 bytes: 8-bit sRGB, row-major, no alpha. */
  data: Uint8Array;
  width: number;
  height: number;
}
