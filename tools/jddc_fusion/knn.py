# Prototype (issue 3, "JDDC >= 0.72"): kNN by cosine over word + character n-gram vectors of
# JDDC train, fused with the out-of-fold probabilities of the default ensemble,
# p = (1 - lam) * p_linear + lam * p_knn, on the same 5 stratified folds.
# Train rows only; no dev row is read. Needs numpy, scipy, jieba (pip; not part of the crate).
#
#   target/release/examples/train_intents --train JDDC_TRAIN.tsv --probs /tmp/oof.tsv
#   JDDC_TRAIN=JDDC_TRAIN.tsv python3 tools/jddc_fusion/knn.py /tmp/oof.tsv "w c1 c2" "idf;sqrt"
#
# The word features use Python jieba on NFKC + lower-cased text, an approximation of the
# crate's normaliser and jieba-rs with the user dictionary.
import sys, os, unicodedata, numpy as np, scipy.sparse as sp, jieba, itertools, pickle, os
jieba.setLogLevel(60)
rows=[l.rstrip('\n').split('\t') for l in open(os.environ.get('JDDC_TRAIN', '../shared/corpora/jddc_intent/train.tsv'))][1:]
labels=[r[0] for r in rows]; texts=[r[1] for r in rows]
oof=[l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
fold=np.array([int(r[0]) for r in oof]); assert [r[1] for r in oof]==labels
L=sorted(set(labels)); li={l:i for i,l in enumerate(L)}; y=np.array([li[l] for l in labels]); K=len(L)
P=np.zeros((len(rows),K))
for i,r in enumerate(oof):
    for c in r[2:]:
        l,p=c.rsplit(':',1); P[i,li[l]]=float(p)
print('linear oof acc',(P.argmax(1)==y).mean())
cache='/tmp/jddc_fusion_feats.pkl'
if os.path.exists(cache): docs=pickle.load(open(cache,'rb'))
else:
    docs=[]
    for t in texts:
        n=unicodedata.normalize('NFKC',t).lower()
        ws=[w for w in jieba.cut(n) if w.strip()]
        cs=[c for c in n if not c.isspace()]
        docs.append((ws,cs))
    pickle.dump(docs,open(cache,'wb'))
def feats(spec):
    out=[]
    for ws,cs in docs:
        f=[]
        if 'w' in spec: f+=['w:'+w for w in ws]
        if 'wb' in spec: f+=['wb:'+a+'|'+b for a,b in zip(ws,ws[1:])]
        for n in (1,2,3):
            if 'c%d'%n in spec: f+=['c%d:'%n+''.join(cs[i:i+n]) for i in range(len(cs)-n+1)]
        out.append(f)
    return out
def matrix(spec, weighting):
    fs=feats(spec); vocab={}
    ri,ci,v=[],[],[]
    for i,f in enumerate(fs):
        for x in f:
            j=vocab.setdefault(x,len(vocab)); ri.append(i); ci.append(j); v.append(1.0)
    X=sp.csr_matrix((v,(ri,ci)),shape=(len(fs),len(vocab))); X.sum_duplicates()
    if weighting.startswith('sub'): X.data=1+np.log(X.data)
    if 'idf' in weighting:
        df=np.bincount(X.indices,minlength=X.shape[1]); n=X.shape[0]
        idf=np.log((1+n)/(1+df))+1; X=X@sp.diags(idf)
    if 'bin' in weighting: X.data[:]=1
    nrm=np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel()); nrm[nrm==0]=1
    return sp.csr_matrix(sp.diags(1/nrm)@X)
def knn_scores(X, ks, power):
    S=(X@X.T).toarray()
    res={k:np.zeros((X.shape[0],K)) for k in ks}
    for f in range(5):
        te=np.where(fold==f)[0]; tr=np.where(fold!=f)[0]
        s=S[np.ix_(te,tr)]
        kmax=max(ks)
        idx=np.argpartition(-s,kmax,axis=1)[:,:kmax]
        ss=np.take_along_axis(s,idx,1); o=np.argsort(-ss,1); idx=np.take_along_axis(idx,o,1); ss=np.take_along_axis(ss,o,1)
        for k in ks:
            for j,i in enumerate(te):
                for a in range(k):
                    res[k][i,y[tr[idx[j,a]]]]+=ss[j,a]**power
    return res
best=[]
for spec in sys.argv[2].split(';'):
  for w in sys.argv[3].split(';'):
    X=matrix(spec.split(),w)
    for power in [1,2,4]:
        R=knn_scores(X,[1,3,5,10,20,40],power)
        for k,Rk in R.items():
            pk=Rk/np.maximum(Rk.sum(1,keepdims=True),1e-12)
            accs=[]
            for lam in [0,0.1,0.2,0.3,0.4,0.5,0.6,1.0]:
                pf=(1-lam)*P+lam*pk
                accs.append(((pf.argmax(1)==y).mean(),lam))
            b=max(accs)
            print(f'{spec:14s} {w:8s} pow{power} k{k:3d} knn-alone {accs[-1][0]:.4f} best {b[0]:.4f} at lam {b[1]}  '+' '.join(f'{a:.4f}' for a,_ in accs),flush=True)
