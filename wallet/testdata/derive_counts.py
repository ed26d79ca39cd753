#!/usr/bin/python3
# Independent derivation of the expected ParseHint outcomes asserted in
# ../feeds_test.go. Written from the specs (base58check, BIP-173/350 bech32,
# cashaddr, SS58, EIP-55, Stellar CRC16, Waves), sharing no code with the Go
# package. Needs Debian's python3-yaml and python3-pycryptodome (Keccak):
#   /usr/bin/python3 wallet/testdata/derive_counts.py [FEEDS_DIR]
import json, glob, os, re, csv, hashlib, collections, base64, sys, yaml
from Cryptodome.Hash import keccak
F=sys.argv[1] if len(sys.argv)>1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','..','..','shared','data','feeds')
B58='123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
RIP='rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz'
def b58dec(s, alph=B58):
    n=0
    for c in s:
        if c not in alph: return None
        n=n*58+alph.index(c)
    b=n.to_bytes((n.bit_length()+7)//8,'big') if n else b''
    z=len(s)-len(s.lstrip(alph[0]))
    return b'\0'*z+b
def dsha(b): return hashlib.sha256(hashlib.sha256(b).digest()).digest()
def kec(b):
    k=keccak.new(digest_bits=256); k.update(b); return k.digest()
CS='qpzry9x8gf2tvdw0s3jn54khce6mua7l'
def bpoly(vals):
    G=[0x3b6a57b2,0x26508e6d,0x1ea119fa,0x3d4233dd,0x2a1462b3]; chk=1
    for v in vals:
        b=chk>>25; chk=(chk&0x1ffffff)<<5^v
        for i in range(5): chk^=G[i] if (b>>i)&1 else 0
    return chk
def bech(s):
    if s.lower()!=s and s.upper()!=s: return None
    s=s.lower(); p=s.rfind('1'); hrp,d=s[:p],s[p+1:]
    if any(c not in CS for c in d): return None
    data=[CS.index(c) for c in d]
    c=bpoly([ord(x)>>5 for x in hrp]+[0]+[ord(x)&31 for x in hrp]+data)
    return hrp, data[:-6], {1:'bech32',0x2bc830a3:'bech32m'}.get(c)
def conv(data,f,t):
    acc=bits=0; out=[]
    for v in data:
        acc=(acc<<f)|v; bits+=f
        while bits>=t: bits-=t; out.append((acc>>bits)&((1<<t)-1))
    if bits>=f or (acc<<(t-bits))&((1<<t)-1): return None
    return bytes(out)
VER={0:'btc',5:'btc',0x30:'ltc',0x32:'ltc',0x1e:'doge',0x16:'doge',0x41:'trx',0x4c:'dash',0x10:'dash',0x26:'btg',0x17:'neo'}
def classify(s):
    """returns (chain, kind, validated) or ('REJECT', reason)"""
    s=s.strip()
    if re.fullmatch(r'0x[0-9a-fA-F]{64}',s) or re.fullmatch(r'[0-9a-fA-F]{64}',s): return ('REJECT','transaction-hash')
    if re.fullmatch(r'0x[0-9a-fA-F]+',s):
        h=s[2:]
        if len(h)!=40: return ('REJECT','bad-length')
        if h in (h.lower(),h.upper()): return ('evm','eoa',False)
        hh=kec(h.lower().encode()).hex()
        want=''.join(c.upper() if c.isalpha() and int(hh[i],16)>=8 else c for i,c in enumerate(h.lower()))
        return ('evm','eoa',True) if want==h else ('REJECT','bad-checksum')
    if re.match(r'(bc|ltc|zil|bnb|addr)1',s.lower()):
        r=bech(s)
        if not r or not r[2]: return ('REJECT','bad-checksum')
        hrp,data,v=r
        if hrp in('bc','ltc'):
            prog=conv(data[1:],5,8)
            wv=data[0]
            ok=(wv==0 and v=='bech32' and len(prog) in(20,32)) or (wv>0 and v=='bech32m')
            return ({'bc':'btc','ltc':'ltc'}[hrp],'segwit',True) if ok else ('REJECT','bad')
        return ({'zil':'zil','bnb':'bnb','addr':'ada'}[hrp],'bech32',True)
    if re.fullmatch(r'(bitcoincash:)?[qp][0-9a-z]{41}',s):
        p=s.split(':')[-1]
        if any(c not in CS for c in p): return ('REJECT','bad-encoding')
        vals=[ord(c)&31 for c in 'bitcoincash']+[0]+[CS.index(c) for c in p]
        c=1
        for d in vals:
            c0=c>>35; c=((c&0x07ffffffff)<<5)^d
            for i,g in enumerate([0x98f2bc8e61,0x79b76d99e2,0xf33e5fb3c4,0xae2eabe2a8,0x1e4f43e470]):
                if (c0>>i)&1: c^=g
        return ('bch','cashaddr',True) if c^1==0 else ('REJECT','bad-checksum')
    if re.fullmatch(r'G[A-Z2-7]{55}',s):
        raw=base64.b32decode(s)
        crc=0
        for b in raw[:33]:
            crc^=b<<8
            for _ in range(8): crc=((crc<<1)^0x1021)&0xffff if crc&0x8000 else (crc<<1)&0xffff
        return ('xlm','account',True) if crc==int.from_bytes(raw[33:],'little') else ('REJECT','bad-checksum')
    if re.fullmatch(r'[48][1-9A-HJ-NP-Za-km-z]{94}',s): return ('xmr','shape',False)
    if re.fullmatch(r'(Ae2[1-9A-HJ-NP-Za-km-z]{55,61}|DdzFF[1-9A-HJ-NP-Za-km-z]{95,125})',s): return ('ada','byron',False)
    if s.startswith('r'):
        raw=b58dec(s,RIP)
        if raw and len(raw)==25 and raw[0]==0 and dsha(raw[:21])[:4]==raw[21:]: return ('xrp','account',True)
    raw=b58dec(s)
    if raw is None:
        if re.fullmatch(r'[0-9A-Za-z]{25,110}',s): return ('REJECT','bad-encoding')
        return ('REJECT','unknown-format')
    if len(raw)==25:
        if dsha(raw[:21])[:4]!=raw[21:]: return ('REJECT','bad-checksum')
        return (VER[raw[0]], {0:'p2pkh',5:'p2sh'}.get(raw[0],'other'), True)
    if len(raw)==26 and raw[0]==1:
        return ('waves','account',True) if kec(hashlib.blake2b(raw[:22],digest_size=32).digest())[:4]==raw[22:] else ('REJECT','bad-checksum')
    if len(raw)==26 and raw[:2] in (b'\x1c\xb8',b'\x1c\xbd'):
        return ('zec','t',True) if dsha(raw[:22])[:4]==raw[22:] else ('REJECT','bad-checksum')
    if len(raw)==32: return ('sol','account',False)
    if len(raw) in (35,36):
        pl=1 if raw[0]<64 else 2
        ok=hashlib.blake2b(b'SS58PRE'+raw[:-2]).digest()[:2]==raw[-2:]
        return ('substrate','account',True) if ok else ('REJECT','bad-checksum')
    return ('REJECT','bad-length')
EVM={'eth','etc','bsc','arb','vet','bnb','zil'}
ACCEPT={'eth':{'evm'},'etc':{'evm'},'bsc':{'evm'},'arb':{'evm'},'vet':{'evm'},'bnb':{'evm','bnb'},'zil':{'zil','evm'},
 'btc':{'btc'},'xbt':{'btc'},'bch':{'bch','btc-legacy'},'bsv':{'btc-legacy'},'btg':{'btg','neo'},'ltc':{'ltc','btc-p2sh'},
 'doge':{'doge'},'xvg':{'doge'},'dash':{'dash'},'zec':{'zec'},'trx':{'trx'},'xrp':{'xrp'},'sol':{'sol'},'dot':{'substrate'},
 'xmr':{'xmr'},'ada':{'ada'},'xlm':{'xlm'},'waves':{'waves'},'neo':{'neo'},'usdt':{'evm','trx','btc','sol'},'usdc':{'evm','trx','sol','xlm'}}
def hinted(hint,s):
    h=hint.lower()
    if h in ACCEPT and 'evm' in ACCEPT[h] and re.fullmatch(r'[0-9a-fA-F]{40}',s.strip()): s='0x'+s.strip()
    r=classify(s)
    if r[0]=='REJECT' or h not in ACCEPT: return r
    acc=ACCEPT[h]; ch=r[0]
    if ch in acc: pass
    elif ch=='btc' and r[1] in('p2pkh','p2sh') and 'btc-legacy' in acc: pass
    elif ch=='btc' and r[1]=='p2sh' and 'btc-p2sh' in acc: pass
    else: return ('REJECT','wrong-chain')
    return r
def tally(items):
    c=collections.Counter(); canon=set()
    for hint,s in items:
        r=hinted(hint,s)
        if r[0]=='REJECT': c['rej:'+r[1]]+=1
        else:
            c['valid']+=1; c['validated']+=r[2]
            v=s.strip()
            if r[0] in('evm',) or r[1] in('segwit','bech32','cashaddr'): v=v.lower()
            if r[0]=='evm' and not v.startswith('0x'): v='0x'+v
            if r[1]=='cashaddr' and not v.startswith('bitcoincash:'): v='bitcoincash:'+v
            canon.add(v)
    c['unique']=len(canon)
    return dict(sorted(c.items()))
res={}
for p in sorted(glob.glob(F+'/ofac-sanctioned-addresses-0xb10c/*.txt')):
    a=os.path.basename(p)[len('sanctioned_addresses_'):-4]
    res['ofac '+a]=tally([(a,l) for l in open(p).read().split('\n') if l.strip()])
    j=tally([(a,l) for l in json.load(open(p[:-4]+'.json'))])
    assert j==res['ofac '+a], (a,j)
res['scamsniffer address']=tally([('eth',x) for x in json.load(open(F+'/scamsniffer-scam-database/address.json'))])
res['scamsniffer combined']=tally([('eth',x) for v in json.load(open(F+'/scamsniffer-scam-database/combined.json')).values() for x in v])
arch=[]
for p in sorted(glob.glob(F+'/scamsniffer-scam-database/archive/*.json')):
    arch+= [('eth',x) for x in json.load(open(p)).get('address',[])]
res['scamsniffer archive']=tally(arch)
res['polkadot']=tally([('dot',x) for v in json.load(open(F+'/polkadot-js-phishing/address.json')).values() for x in v])
for n in ('phishing_scams','etherscan_malicious_labels'):
    rows=list(csv.reader(open(F+'/forta-labelled-datasets/labels/1/%s.csv'%n)))[1:]
    res['forta '+n]=tally([('eth',r[0]) for r in rows])
d=yaml.safe_load(open(F+'/cryptoscamdb-blacklist/urls.yaml'))
items=[(k,a) for r in d for k,v in (r.get('addresses') or {}).items() for a in v]
res['cryptoscamdb']=tally(items)
bt=collections.defaultdict(collections.Counter)
for k,a in items:
    r=hinted(k,a); bt[k]['rej:'+r[1] if r[0]=='REJECT' else 'ok']+=1
res['cryptoscamdb by ticker']={k:dict(v) for k,v in sorted(bt.items())}
for k,v in res.items(): print(k, v)
# uris.yaml is not valid YAML (a record at line 35 is indented wrongly), so
# its address maps are read line by line: "addresses:", then "TICKER:", then
# '- "address"' items, until the next lower-case key.
items=[]; inaddr=False; tick=None
for line in open(F+'/cryptoscamdb-blacklist/uris.yaml').read().split('\n'):
    s=line.strip()
    if s=='addresses:': inaddr=True; tick=None; continue
    if not inaddr: continue
    m=re.fullmatch(r'([A-Z0-9_]+):',s)
    if m: tick=m.group(1); continue
    m=re.fullmatch(r'- "(.*)"',s)
    if m and tick: items.append((tick,m.group(1))); continue
    inaddr=False
print('cryptoscamdb uris.yaml', len(items), tally(items))
