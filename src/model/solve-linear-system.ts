/**
 * Small dense linear algebra for the least-squares fits (3×3 normal equations): solve and invert by Gauss–Jordan
 * elimination with partial pivoting. Returns null for a (numerically) singular matrix instead of producing NaN.
 */

/** Solves A·x = b; null when A is singular. A is row-major and is not modified. */
export function solveLinearSystem(matrix: readonly (readonly number[])[], rhs: readonly number[]): number[] | null {
  const inverse = invertMatrix(matrix);
  if (!inverse) return null;
  return inverse.map((row) => row.reduce((sum, value, j) => sum + value * (rhs[j] ?? 0), 0));
}

/** Inverse of a square matrix; null when singular (a pivot below 1e-14 of the largest entry of its column). */
export function invertMatrix(matrix: readonly (readonly number[])[]): number[][] | null {
  const size = matrix.length;
  const work = matrix.map((row, i) => [...row, ...Array.from({ length: size }, (_, j) => (i === j ? 1 : 0))]);
  const at = (i: number, j: number): number => work[i]?.[j] ?? 0;
  for (let column = 0; column < size; column++) {
    let pivotRow = column;
    let columnScale = 0;
    for (let row = column; row < size; row++) {
      columnScale = Math.max(columnScale, Math.abs(at(row, column)));
      if (Math.abs(at(row, column)) > Math.abs(at(pivotRow, column))) pivotRow = row;
    }
    const pivot = at(pivotRow, column);
    if (columnScale === 0 || !Number.isFinite(pivot) || Math.abs(pivot) <= 1e-14 * columnScale || pivot === 0) return null;
    const swap = work[pivotRow]!;
    work[pivotRow] = work[column]!;
    work[column] = swap;
    const pivotLine = work[column]!;
    for (let j = 0; j < 2 * size; j++) pivotLine[j] = (pivotLine[j] ?? 0) / pivot;
    for (let row = 0; row < size; row++) {
      if (row === column) continue;
      const line = work[row]!;
      const factor = line[column] ?? 0;
      if (factor === 0) continue;
      for (let j = 0; j < 2 * size; j++) line[j] = (line[j] ?? 0) - factor * (pivotLine[j] ?? 0);
    }
  }
  const inverse = work.map((row) => row.slice(size));
  return inverse.every((row) => row.every(Number.isFinite)) ? inverse : null;
}
