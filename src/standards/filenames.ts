// Filled in by the standards work (issue 2).
export {};
