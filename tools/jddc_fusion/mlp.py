# Prototype (issue 3, "JDDC >= 0.72"): a one-hidden-layer ReLU network (scikit-learn
# MLPClassifier, Adam, batch 64, alpha 1e-4, seed 1) over TF-IDF word + character 1-2-gram
# vectors (features in >= 2 training rows), fused with the default ensemble's out-of-fold
# probabilities on the same 5 folds. Train rows only. Needs numpy, scipy, scikit-learn, jieba.
#
#   JDDC_TRAIN=JDDC_TRAIN.tsv python3 tools/jddc_fusion/mlp.py /tmp/oof.tsv HIDDEN EPOCHS
import sys, os, numpy as np, scipy.sparse as sp
exec(open(os.path.join(os.path.dirname(__file__), 'knn.py')).read().split('best=[]')[0])
from sklearn.neural_network import MLPClassifier
X=matrix("w c1 c2".split(),'idf')
df=np.bincount(X.indices,minlength=X.shape[1]); X=sp.csr_matrix(X[:,df>=2])
H=int(sys.argv[2]); it=int(sys.argv[3])
Pm=np.zeros_like(P)
for f in range(5):
    te=fold==f; tr=~te
    m=MLPClassifier(hidden_layer_sizes=(H,),max_iter=it,random_state=1,alpha=1e-4,batch_size=64)
    m.fit(X[tr],y[tr]); pp=m.predict_proba(X[te]); Pm[np.ix_(te,m.classes_)]=pp
    print('fold',f,flush=True)
print('mlp alone',(Pm.argmax(1)==y).mean())
np.save(f"/tmp/jddc_fusion_mlp{H}.npy",Pm)
for lam in [0.3,0.4,0.5,0.6,0.7,0.8,0.9]:
    print(f'H{H} it{it} lam {lam} fused {(((1-lam)*P+lam*Pm).argmax(1)==y).mean():.4f}  logfused {(((1-lam)*np.log(P+1e-9)+lam*np.log(Pm+1e-9)).argmax(1)==y).mean():.4f}',flush=True)
