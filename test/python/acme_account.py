"""python-acme (Debian's python3-acme) against Stamp: create an account (with External
Account Binding when a key is given), read it back the way certbot does (re-sending the
account object), update its contact, deactivate it, and check it is refused afterwards.

Usage: /usr/bin/python3 acme_account.py DIRECTORY_URL CA_FILE [EAB_KID EAB_HMAC_KEY]
Prints one JSON object with what happened; exits non-zero on any unexpected answer.
"""
import json
import sys

from cryptography.hazmat.primitives.asymmetric import ec
import josepy as jose
from acme import client, errors, messages


def main() -> int:
    directory_url, ca_file = sys.argv[1], sys.argv[2]
    eab_kid, eab_hmac = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(key, alg=jose.ES256, verify_ssl=ca_file, user_agent="stamp-test python-acme", timeout=30)
    directory = client.ClientV2.get_directory(directory_url, net)
    acme = client.ClientV2(directory, net)
    out = {}

    eab = messages.ExternalAccountBinding.from_data(key.public_key(), eab_kid, eab_hmac, directory) if eab_kid else None
    reg = messages.NewRegistration.from_data(email="py@stamp.test", terms_of_service_agreed=True, external_account_binding=eab)
    regr = acme.new_account(reg)
    out["created"] = {"uri": regr.uri, "status": regr.body.status, "contact": list(regr.body.contact), "body": regr.body.to_partial_json()}

    # certbot's path: query_registration re-sends the account object to newAccount (onlyReturnExisting).
    regr = acme.query_registration(regr)
    out["queried"] = {"uri": regr.uri, "status": regr.body.status}

    regr = acme.update_registration(regr, regr.body.update(contact=("mailto:py2@stamp.test",)))
    out["updated"] = {"contact": list(regr.body.contact)}

    regr = acme.deactivate_registration(regr)
    out["deactivated"] = {"status": regr.body.status}

    try:
        acme.query_registration(regr)
        out["after"] = {"error": None}
    except errors.Error as e:  # a deactivated account is refused
        out["after"] = {"error": getattr(e, "typ", None) or str(e)}
    except messages.Error as e:
        out["after"] = {"error": e.typ}

    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
