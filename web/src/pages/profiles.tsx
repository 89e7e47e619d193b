/** TODO */
export function ProfilesPage() {
  return <p>ProfilesPage</p>;
}
