/** How a command reports its exit code to `main` (the last call wins). */
export type SetExitCode = (code: number) => void;
