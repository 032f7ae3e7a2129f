/** What the user wants from an image; each task has its own prompt (src/prompts/taskPrompts.ts). */
export const TASKS = ['explain-screenshot', 'alt-text', 'describe-diagram', 'chart-to-table', 'extract-text', 'question', 'find'] as const;
export type Task = (typeof TASKS)[number];

export const TASK_LABELS: Record<Task, string> = {
  'explain-screenshot': 'Explain screenshot',
  'alt-text': 'Alt text',
  'describe-diagram': 'Describe diagram',
  'chart-to-table': 'Chart to table',
  'extract-text': 'Extract text',
  question: 'Question',
  find: 'Find',
};
