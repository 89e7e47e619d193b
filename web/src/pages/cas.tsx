/** TODO */
export function CasPage() {
  return <p>CasPage</p>;
}
