import sharp from 'sharp';

/** A small sign-in form with legible labels (title bar, two fields, a button), for OCR and the model. */
export async function writeSignInScreenshot(path: string): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="300">
    <rect width="480" height="300" fill="#f3f3f3"/>
    <rect width="480" height="36" fill="#2b579a"/>
    <text x="16" y="24" font-family="DejaVu Sans" font-size="16" fill="#fff">Sign in</text>
    <rect x="40" y="80" width="400" height="36" fill="#fff" stroke="#999"/>
    <text x="52" y="104" font-family="DejaVu Sans" font-size="15" fill="#555">Email address</text>
    <rect x="40" y="136" width="400" height="36" fill="#fff" stroke="#999"/>
    <text x="52" y="160" font-family="DejaVu Sans" font-size="15" fill="#555">Password</text>
    <rect x="40" y="200" width="140" height="40" rx="4" fill="#107c10"/>
    <text x="78" y="226" font-family="DejaVu Sans" font-size="16" fill="#fff">Log in</text>
  </svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
}
