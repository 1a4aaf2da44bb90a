# Independent cross-check of the known-answer vectors in src/tests.rs with
# Python `cryptography` (OpenSSL): run `python3 crates/confidant-crypto/tests/cross_check_vectors.py`
# and compare with the hex constants there. Not run by cargo.
import hashlib, hmac, struct
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand, HKDF
from cryptography.hazmat.primitives import hashes
master = bytes(range(32))
def hkdf(info): return HKDF(hashes.SHA256(), 32, b"confidant.hkdf.v1", info).derive(master)
kcv = hkdf(b"confidant/v1/key-check")[:16]
print("kcv", kcv.hex())
print("key id", hkdf(b"confidant/v1/key-id")[:16].hex())
wk = hkdf(b"confidant/v1/key-wrap"); print("wrapkey", wk.hex())
ak = hkdf(b"confidant/v1/audit"); print("audit mac abc", hmac.new(ak, b"abc", hashlib.sha256).hexdigest())
bk = hkdf(b"confidant/v1/blind-index")
lp = lambda b: struct.pack(">Q", len(b)) + b
print("bidx", hmac.new(bk, lp(b"name") + b"alice smith", hashlib.sha256).hexdigest())
f = b"CONFKEY" + bytes([1,1]) + master + kcv
print("random file", (f + hashlib.sha256(f).digest()[:8]).hex())
aad = b"confidant.seal.v1" + lp(b"notes") + lp(b"text") + lp(b"note-1") + lp(b"client-1")
print("aad", aad.hex())
dk = bytes((100+i) % 256 for i in range(32))
print("sealed", (bytes([1]) + b"\x07"*12 + AESGCM(dk).encrypt(b"\x07"*12, b"Session note: discussed sleep.", aad)).hex())
print("wrapped", (bytes([1]) + b"\x09"*12 + AESGCM(wk).encrypt(b"\x09"*12, dk, b"confidant.wrap.v1" + lp(b"client-1"))).hex())
try:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    salt = b"\x5a"*16
    for (m,t) in [(64,1),(19456,2)]:
        k = Argon2id(salt=salt, length=32, iterations=t, lanes=1, memory_cost=m).derive(b"correct horse battery staple")
        print("argon", m, t, k.hex())
except Exception as e:
    print("argon unavailable", e)
# Version 2 (rotatable KEKs): the key file, a v2 wrapped key, Ed25519.
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
kek = bytes((200+i) % 256 for i in range(32))
kw = hkdf(b"confidant/v2/kek-wrap")
f2 = b"CONFKEY" + bytes([2,1]) + master + kcv + bytes([1]) + struct.pack(">I", 3)
f2 += bytes([1]) + b"\x07"*12 + AESGCM(kw).encrypt(b"\x07"*12, kek, b"confidant.kek.v2" + struct.pack(">I", 3))
print("v2 file", (f2 + hashlib.sha256(f2).digest()[:8]).hex())
aad2 = b"confidant.wrap.v2" + struct.pack(">I", 3) + lp(b"client-1")
print("v2 wrapped", (bytes([2]) + struct.pack(">I", 3) + b"\x09"*12 + AESGCM(kek).encrypt(b"\x09"*12, dk, aad2)).hex())
seed = bytes((50+i) % 256 for i in range(32))
print("ed25519", Ed25519PrivateKey.from_private_bytes(seed).sign(b"confidant kat message").hex())
