// Local replay files: opened with a file picker or dropped on the page, read in the browser, never uploaded
// (unless the user asks for it in the lobby). The lobby hands a file to the watch page through sessionStorage.

import { decodeBytes, parseGameText, ReplayError } from "./replay.js";

const STASH = "snek-local-file";

/** Read and validate a File; resolves to {game, text} or throws an Error with a one-line message. */
export async function readLocalFile(file) {
  try {
    const text = await decodeBytes(new Uint8Array(await file.arrayBuffer()), file.name);
    return { game: parseGameText(text, file.name), text };
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    throw new ReplayError(`${file.name}: could not be read (${err.message})`);
  }
}

export function stashLocalFile(name, text) {
  try {
    sessionStorage.setItem(STASH, JSON.stringify({ name, text }));
    return true;
  } catch {
    return false;  // too large for session storage: the caller says so
  }
}

export function loadStashedFile() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STASH) || "null");
    return value && typeof value.text === "string" ? value : null;
  } catch {
    return null;
  }
}

/** Let the whole page accept dropped files; `hint` is shown while a file is dragged over. */
export function installDrop(hint, onFile) {
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth += 1;
    hint.hidden = false;
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) hint.hidden = true;
  });
  document.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    hint.hidden = true;
    const file = e.dataTransfer.files[0];
    if (file) onFile(file);
  });
}
