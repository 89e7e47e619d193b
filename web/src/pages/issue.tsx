/** TODO */
export function IssuePage() {
  return <p>IssuePage</p>;
}
