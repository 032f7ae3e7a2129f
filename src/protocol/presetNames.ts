/** The speed/detail presets by name; kept apart from their schemas so the activation shell stays small. */
export const PRESET_NAMES = ['fast', 'balanced', 'detailed'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
