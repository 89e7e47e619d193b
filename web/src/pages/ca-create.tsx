/** TODO */
export function CreateCaPage() {
  return <p>CreateCaPage</p>;
}
