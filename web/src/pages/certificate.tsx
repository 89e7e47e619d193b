/** TODO */
export function CertificatePage() {
  return <p>CertificatePage</p>;
}
