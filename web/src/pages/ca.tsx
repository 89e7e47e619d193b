/** TODO */
export function CaPage() {
  return <p>CaPage</p>;
}
